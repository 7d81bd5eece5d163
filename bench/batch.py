"""`colabctl can --batch FILE`: 100,000 checks in one process (README, Performance: at most 2 s).

    python bench/batch.py --venv /tmp/vb [--lines 100000] [--runs 5] [--profile]
        [--baseline-venv /tmp/vb-before]

The rule in core/access.batch: each line must be about the actor themself, or the actor
must own or actively collaborate on the line's account. No one holds a role in every
account of a 10k-account store, so the lines come from the 1,000 accounts that
make_store's agency owner (agency@example.com) owns, and the agency asks. The mix: 40%
active collaborators asking for a permission their profile grants, 20% for one it does
not, 5% for an owner-only one, 10% pending/expired/revoked/declined people, 10% the
owner, 10% people from other accounts, 5% unknown addresses. Every expected answer is
known when the file is written, and every output line is checked against it.

Prints wall time, checks/s and the 2 s target, against a bare `python -c "import typer"`
timed alternately in the same run, and the in-process time of core's `access.batch` alone
(no process start). --profile adds a cProfile of the in-process run. --baseline-venv
times another install's `can --batch` (say, the code before a change) in the same
alternation, answers verified too, and prints the ratio of the two.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from _proc import OUT_DIR, Command, alternate, clean_env, install_kind, load_note, spread, venv
from make_store import AGENCY_EMAIL, StoreInfo, ensure_store

from colabctl.core.catalog import catalog

TARGET_S = 2.0
MIX = {
    "held": 40,
    "not-granted": 20,
    "owner-only": 5,
    "not-active": 10,
    "owner": 10,
    "elsewhere": 10,
    "unknown": 5,
}


def write_input(info: StoreInfo, path: Path, lines: int, seed: int) -> list[bool]:
    """Write the JSON-lines questions; return the expected `allowed` of each line."""
    if info.agency_owner is None:
        sys.exit("this store has no agency owner: build it with --agency-accounts > 0")
    rng = random.Random(seed)
    conn = sqlite3.connect(f"file:{info.path}?mode=ro", uri=True)
    try:
        agency_id = conn.execute(
            "SELECT id FROM users WHERE email_key = ?", (info.agency_owner,)
        ).fetchone()[0]
        slugs = [
            r[0] for r in conn.execute("SELECT slug FROM accounts WHERE owner_id = ?", (agency_id,))
        ]
        held_by_profile: dict[int, list[str]] = {}
        for pid, perm in conn.execute(
            "SELECT pp.profile_id, pp.permission FROM profile_permissions pp"
            " JOIN profiles p ON p.id = pp.profile_id JOIN accounts a ON a.id = p.account_id"
            " WHERE a.owner_id = ?",
            (agency_id,),
        ):
            held_by_profile.setdefault(pid, []).append(perm)
        people = conn.execute(
            "SELECT u.email, a.slug, m.status, m.profile_id FROM memberships m"
            " JOIN users u ON u.id = m.user_id JOIN accounts a ON a.id = m.account_id"
            " WHERE a.owner_id = ? AND m.id = (SELECT id FROM memberships x"
            "   WHERE x.account_id = m.account_id AND x.user_id = m.user_id"
            "   ORDER BY x.status IN ('pending', 'active') DESC, x.id DESC LIMIT 1)",
            (agency_id,),
        ).fetchall()
        outsiders = [
            r[0]
            for r in conn.execute(
                "SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id"
                " JOIN accounts a ON a.id = m.account_id WHERE a.owner_id <> ? LIMIT 5000",
                (agency_id,),
            )
        ]
    finally:
        conn.close()
    active = [p for p in people if p[2] == "active"]
    inactive = [p for p in people if p[2] != "active"]
    member_pairs = {(p[0], p[1]) for p in people}
    cat = catalog()
    delegable = [p.id for p in cat.delegable]
    owner_only = sorted(cat.owner_only_ids)
    every = [p.id for p in cat.permissions]
    kinds = rng.choices(list(MIX), list(MIX.values()), k=lines)
    expected: list[bool] = []
    with path.open("w", encoding="utf-8") as out:
        for kind in kinds:
            if kind in ("held", "not-granted", "owner-only"):
                email, slug, _, pid = rng.choice(active)
                held = held_by_profile[pid]
                if kind == "held":
                    perm, ok = rng.choice(held), True
                elif kind == "not-granted":
                    perm, ok = rng.choice([p for p in delegable if p not in held]), False
                else:
                    perm, ok = rng.choice(owner_only), False
            elif kind == "not-active":
                email, slug, _, _ = rng.choice(inactive)
                perm, ok = rng.choice(delegable), False
            elif kind == "owner":
                email, slug, perm, ok = AGENCY_EMAIL, rng.choice(slugs), rng.choice(every), True
            elif kind == "elsewhere":
                email, slug = rng.choice(outsiders), rng.choice(slugs)
                while (email, slug) in member_pairs:
                    email = rng.choice(outsiders)
                perm, ok = rng.choice(delegable), False
            else:
                email = f"nobody{rng.randrange(10**6)}@example.org"
                slug, perm, ok = rng.choice(slugs), rng.choice(delegable), False
            out.write(json.dumps({"user": email, "account": slug, "permission": perm}) + "\n")
            expected.append(ok)
    return expected


def verify(output: Path, expected: list[bool]) -> Counter[str]:
    reasons: Counter[str] = Counter()
    with output.open(encoding="utf-8") as handle:
        got = [json.loads(line) for line in handle]
    if len(got) != len(expected):
        sys.exit(f"{len(got)} output lines for {len(expected)} questions")
    for number, (item, ok) in enumerate(zip(got, expected, strict=True), 1):
        if item.get("allowed") is not ok:
            sys.exit(f"line {number}: expected allowed={ok}, got {item}")
        reasons[item["reason"].split(":")[0]] += 1
    return reasons


def in_process(info: StoreInfo, questions: Path, profile: bool) -> float:
    """core's access.batch plus the CLI's json.dumps per line, with no process start."""
    from colabctl.core import access
    from colabctl.core.session import Context

    ctx = Context(db=info.path, actor=info.agency_owner)
    sink = io.StringIO()
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    with questions.open(encoding="utf-8") as handle:
        for line, _ in access.batch(ctx, handle):
            sink.write(json.dumps(line.as_json(), ensure_ascii=False) + "\n")
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - started
    if profiler:
        report = io.StringIO()
        pstats.Stats(profiler, stream=report).sort_stats("tottime").print_stats(14)
        print(report.getvalue())
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", help="venv to time (default: the one running this script)")
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5, help="whole-process runs of each")
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--collaborators", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", action="store_true", help="cProfile the in-process run")
    parser.add_argument(
        "--baseline-venv", help="another install to time alongside (e.g. before a change)"
    )
    args = parser.parse_args()

    info = ensure_store(args.accounts, args.collaborators, seed=args.seed)
    OUT_DIR.mkdir(exist_ok=True)
    questions = OUT_DIR / f"batch-{args.lines}-s{args.seed}.jsonl"
    answers = OUT_DIR / f"batch-{args.lines}-s{args.seed}.out.jsonl"
    expected = write_input(info, questions, args.lines, args.seed)
    print(
        f"{len(expected):,} questions from {info.agency_accounts:,} accounts owned by "
        f"{info.agency_owner}; {sum(expected):,} should be allowed -> {questions}"
    )

    py, colabctl = venv(args.venv)
    print(f"venv: {py}; colabctl from {install_kind(py)}")
    env = clean_env(COLABCTL_USER=str(info.agency_owner), COLABCTL_DB=info.path)
    argv = [colabctl, "can", "--batch", str(questions)]
    with answers.open("wb") as out:
        code = subprocess.run(argv, env=env, stdout=out).returncode
    if code != 0:
        sys.exit(f"`colabctl can --batch` exited {code}: not every line was answerable")
    reasons = verify(answers, expected)
    print(
        "every answer as expected; reasons: "
        + ", ".join(f"{r} {n:,}" for r, n in reasons.most_common())
    )

    # Output goes to a file (not a pipe nobody reads), as `> answers.jsonl` would.
    batch_cmd = Command("colabctl can --batch", argv, env)
    baseline = Command("import typer", [py, "-c", "import typer"], env)
    commands = [baseline, batch_cmd]
    if args.baseline_venv:
        other = [venv(args.baseline_venv).colabctl, *argv[1:]]
        with answers.open("wb") as out:
            code = subprocess.run(other, env=env, stdout=out).returncode
        if code != 0:
            sys.exit(f"the baseline install's `can --batch` exited {code}")
        verify(answers, expected)
        commands.append(Command("baseline install", other, env))
    print(f"{load_note()}; {args.runs} runs each, alternating")
    times = alternate(commands, args.runs, warmup=1)
    base = spread(times["import typer"])
    mine = spread(times["colabctl can --batch"])
    print(f"  import typer          {base.ms()}")
    print(f"  colabctl can --batch  {mine.ms()}")
    verdict = "within" if mine.median <= TARGET_S else "OVER"
    print(
        f"{args.lines:,} checks: {mine.median:.2f} s median wall ({args.lines / mine.median:,.0f}"
        f" checks/s; target {TARGET_S:.0f} s: {verdict}); {mine.median / base.median:.0f}x a bare"
        f" `import typer`; {(mine.median - base.median) / args.lines * 1e6:.1f} us per check"
        " beyond it"
    )
    if args.baseline_venv:
        theirs = spread(times["baseline install"])
        print(
            f"  baseline install      {theirs.ms()}\n  this install / the baseline install:"
            f" {mine.median / theirs.median:.2f}x ({args.baseline_venv})"
        )
    inner = [in_process(info, questions, profile=False) for _ in range(3)]
    print(
        f"in-process (access.batch + json.dumps, no start-up; editable {sys.prefix}): "
        f"median {sorted(inner)[1]:.2f} s of 3, {args.lines / sorted(inner)[1]:,.0f} checks/s"
    )
    if args.profile:
        in_process(info, questions, profile=True)
    os.remove(answers)
    print("(a 2-core machine shared with other work: trust medians and ratios, not single runs)")


if __name__ == "__main__":
    main()
