"""`can` latency as the store grows: ~1,000 grants against ~1M (README, Performance: within 1.5x).

    python bench/growth.py --venv /tmp/vb [--checks 20000] [--opens 2000] [--runs 40]

Two make_store stores: 8 accounts x 80 collaborators (~1,000 grants) and 10,000 accounts
x 100,000 collaborators (~1.2M grants, ~0.8M of them through profiles). Three measures,
each alternating small and large question by question (or run by run):
- in-process, one open session: standing_of + decide per random question (and the same
  question repeated, to tell cache misses from B-tree depth);
- in-process, access.can() per question, opening the store each time as a process does;
- whole process: `colabctl can` (and `colabctl matrix --json`, which reads a whole
  account, for comparison).
Prints medians, p10/p90 and the large/small ratio of medians.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import time

from _proc import Command, alternate, clean_env, install_kind, load_note, spread, venv
from casbin_compare import make_queries
from make_store import StoreInfo, ensure_store, sample_check

from colabctl.core import access
from colabctl.core.catalog import catalog
from colabctl.core.session import Context, reading

TARGET = 1.5
SMALL = (8, 80)
LARGE = (10_000, 100_000)


def report(name: str, small: list[float], large: list[float], unit: str = "us") -> None:
    s, big = spread(small), spread(large)
    ratio = big.median / s.median
    shown = (s.us(), big.us()) if unit == "us" else (s.ms(), big.ms())
    verdict = "within" if ratio <= TARGET else "OVER"
    print(f"{name}")
    print(f"    ~1k grants  {shown[0]}")
    print(f"    ~1M grants  {shown[1]}")
    print(f"    ratio {ratio:.2f}x (target <= {TARGET}x: {verdict})")


def in_session(stores: tuple[StoreInfo, StoreInfo], checks: int, seed: int) -> None:
    by_id = catalog().by_id
    questions = [make_queries(info.path, checks, seed) for info in stores]
    times: tuple[list[float], list[float]] = ([], [])
    clock = time.perf_counter
    with reading(Context(db=stores[0].path)) as small, reading(Context(db=stores[1].path)) as big:
        sessions = (small, big)
        for i in range(checks):
            for which in (0, 1) if i % 2 == 0 else (1, 0):
                email, slug, perm = questions[which][i]
                s = sessions[which]
                started = clock()
                access.decide(access.standing_of(s, slug, email), by_id[perm])
                times[which].append(clock() - started)
    report("in-process, open session: standing_of + decide (random questions)", *times)

    # The same question over and over: hot caches, so only the B-trees' depth differs.
    repeated = [sample_check(info.path, seed=seed) for info in stores]
    times = ([], [])
    with reading(Context(db=stores[0].path)) as small, reading(Context(db=stores[1].path)) as big:
        sessions = (small, big)
        for i in range(checks):
            for which in (0, 1) if i % 2 == 0 else (1, 0):
                q = repeated[which]
                s = sessions[which]
                started = clock()
                access.decide(access.standing_of(s, q.account, q.user), by_id[q.permission])
                times[which].append(clock() - started)
    report("in-process, open session: standing_of + decide (one question repeated)", *times)


def with_open(stores: tuple[StoreInfo, StoreInfo], opens: int, seed: int) -> None:
    rng = random.Random(seed)
    asks = [
        [sample_check(info.path, seed=rng.randrange(10**6)) for _ in range(50)] for info in stores
    ]
    times: tuple[list[float], list[float]] = ([], [])
    clock = time.perf_counter
    for i in range(opens):
        for which in (0, 1) if i % 2 == 0 else (1, 0):
            q = asks[which][i % 50]
            ctx = Context(db=stores[which].path, actor=q.actor)
            started = clock()
            answer = access.can(ctx, q.user, [q.permission], account=q.account)
            times[which].append(clock() - started)
            assert answer.allowed
    report("in-process, access.can() opening the store each time (as one process does)", *times)


def whole_process(stores: tuple[StoreInfo, StoreInfo], prefix: str | None, runs: int) -> None:
    py, colabctl = venv(prefix)
    print(f"venv: {py}; colabctl from {install_kind(py)}")
    commands = []
    for label, info in zip(("small", "large"), stores, strict=True):
        q = sample_check(info.path)
        env = clean_env(COLABCTL_USER=q.actor, COLABCTL_DB=info.path)
        can = [colabctl, "can", q.user, q.permission, "-a", q.account]
        out = subprocess.run(can, env=env, capture_output=True, text=True)
        if out.returncode != 0 or out.stdout.strip() != "yes":
            sys.exit(f"unexpected answer from {can}: {out.stdout}{out.stderr}")
        commands.append(Command(f"can {label}", can, env))
        matrix = [colabctl, "matrix", "-a", q.account, "--json"]
        commands.append(Command(f"matrix {label}", matrix, env))
    print(f"whole process: {load_note()}; {runs} runs each, alternating")
    times = alternate(commands, runs, warmup=3)
    report("whole process: colabctl can", times["can small"], times["can large"], unit="ms")
    report(
        "whole process: colabctl matrix --json (for comparison; not a target)",
        times["matrix small"],
        times["matrix large"],
        unit="ms",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", help="venv for the whole-process runs (default: this one)")
    parser.add_argument("--checks", type=int, default=20_000, help="in-session checks per store")
    parser.add_argument("--opens", type=int, default=2_000, help="access.can() calls per store")
    parser.add_argument("--runs", type=int, default=40, help="whole-process runs per command")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    stores = (
        ensure_store(*SMALL, seed=args.seed),
        ensure_store(*LARGE, seed=args.seed),
    )
    print(f"grants: {stores[0].grants:,} against {stores[1].grants:,}")
    in_session(stores, args.checks, args.seed)
    with_open(stores, args.opens, args.seed)
    whole_process(stores, args.venv, args.runs)
    print("(a 2-core machine shared with other work: trust medians and ratios, not single runs)")


if __name__ == "__main__":
    main()
