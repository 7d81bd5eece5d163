"""`colabctl test` and `colabctl review` against their baselines (README, Performance).

    python bench/test_runner.py --venv /tmp/vb [--assertions 10000] [--runs 7]

1. `colabctl test` of N assertions (default 10,000) against `colabctl can --batch` of the
   same N questions, on the 10k-account, 100k-collaborator store (make_store.py), as the
   agency owner who may ask about every account the questions name: target <= 2x.
   The questions are batch.py's mix; the test file holds one [[check]] per (account,
   user), each question an `allow` or a `deny` by the answer batch.py expects, so every
   assertion passes (checked), and both commands answer the same N questions.
2. `colabctl review -a SLUG --json` of one account with 10,000 collaborators against
   `colabctl matrix -a SLUG --json` of it, as its owner: target <= 3x. The store is
   make_store's with 2 accounts and 20,000 collaborators (spread evenly: 10,000 each);
   one account alone cannot be built, as make_store draws a tenth of the memberships
   from people already in another account.

Whole processes, strictly alternating, medians of --runs; the ratio is also given per
pair of runs made side by side. A 2-core machine shared with other work: trust medians
and ratios, not single runs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from _proc import (
    OUT_DIR,
    Command,
    alternate,
    clean_env,
    install_kind,
    load_note,
    paired_ratios,
    spread,
    venv,
)
from batch import write_input
from make_store import ensure_store, owner_email, slug_of

TEST_TARGET = 2.0
REVIEW_TARGET = 3.0


def write_tests(questions: Path, expected: list[bool], out: Path) -> int:
    """One [[check]] per (account, user), in first-seen order; returns the assertions."""
    grouped: dict[tuple[str, str], dict[str, list[str]]] = {}
    with questions.open(encoding="utf-8") as handle:
        for line, ok in zip(handle, expected, strict=True):
            q = json.loads(line)
            verdicts = grouped.setdefault((q["account"], q["user"]), {"allow": [], "deny": []})
            verdicts["allow" if ok else "deny"].append(q["permission"])
    parts = []
    for (account, user), verdicts in grouped.items():
        part = f"[[check]]\naccount = {json.dumps(account)}\nuser = {json.dumps(user)}\n"
        for key in ("allow", "deny"):
            if verdicts[key]:
                part += f"{key} = {json.dumps(verdicts[key])}\n"
        parts.append(part)
    out.write_text("\n".join(parts), encoding="utf-8")
    return sum(len(v["allow"]) + len(v["deny"]) for v in grouped.values())


def report(name: str, times: dict[str, list[float]], mine: str, base: str, target: float) -> None:
    ours, theirs = spread(times[mine]), spread(times[base])
    ratio = ours.median / theirs.median
    pairs = paired_ratios(times[mine], times[base])
    verdict = "within" if ratio <= target else "OVER"
    print(f"  {base:<34} {theirs.ms()}")
    print(f"  {mine:<34} {ours.ms()}")
    print(
        f"{name}: {ratio:.2f}x (paired runs: median {pairs.median:.2f}x, p10 {pairs.p10:.2f}x,"
        f" p90 {pairs.p90:.2f}x); target <= {target:g}x: {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", help="venv to time (default: the one running this script)")
    parser.add_argument("--assertions", type=int, default=10_000)
    parser.add_argument("--review-collaborators", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7, help="whole-process runs of each")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    py, colabctl = venv(args.venv)
    print(f"venv: {py}; colabctl from {install_kind(py)}")
    OUT_DIR.mkdir(exist_ok=True)

    # -- 1. test against can --batch ---------------------------------------------------
    info = ensure_store(10_000, 100_000, seed=args.seed)
    questions = OUT_DIR / f"policy-{args.assertions}-s{args.seed}.jsonl"
    tests = OUT_DIR / f"policy-{args.assertions}-s{args.seed}.toml"
    expected = write_input(info, questions, args.assertions, args.seed)
    count = write_tests(questions, expected, tests)
    env = clean_env(COLABCTL_USER=str(info.agency_owner), COLABCTL_DB=info.path)
    test_argv = [colabctl, "test", str(tests)]
    batch_argv = [colabctl, "can", "--batch", str(questions)]
    check = subprocess.run(test_argv, env=env, capture_output=True, text=True)
    closing = check.stdout.strip().splitlines()[-1] if check.stdout.strip() else check.stderr
    if check.returncode != 0 or closing != f"{count} passed, 0 failed":
        sys.exit(f"`colabctl test` did not pass every assertion: {closing}")
    print(f"{count:,} assertions in {tests.stat().st_size / 1e6:.1f} MB of TOML: {closing}")
    print(f"{load_note()}; {args.runs} runs each, alternating")
    times = alternate(
        [
            Command("colabctl can --batch (N questions)", batch_argv, env),
            Command("colabctl test (N assertions)", test_argv, env),
        ],
        args.runs,
        warmup=1,
    )
    report(
        f"test of {count:,} assertions vs can --batch",
        times,
        "colabctl test (N assertions)",
        "colabctl can --batch (N questions)",
        TEST_TARGET,
    )

    # -- 2. review against matrix --json -------------------------------------------------
    one = ensure_store(2, 2 * args.review_collaborators, seed=args.seed)
    slug = slug_of(0)
    members = args.review_collaborators
    env = clean_env(COLABCTL_USER=owner_email(0), COLABCTL_DB=one.path)
    matrix_argv = [colabctl, "matrix", "-a", slug, "--json"]
    review_argv = [colabctl, "review", "-a", slug, "--json"]
    for argv in (matrix_argv, review_argv):
        run = subprocess.run(argv, env=env, capture_output=True, text=True)
        if run.returncode != 0:
            sys.exit(f"{' '.join(argv[1:])} exited {run.returncode}: {run.stderr}")
    found = json.loads(run.stdout)["findings"]
    kinds: dict[str, int] = {}
    for f in found:
        kinds[f["kind"]] = kinds.get(f["kind"], 0) + 1
    print(
        f"review of {slug} ({members:,} collaborators; ~{one.active // 2:,} active):"
        f" {len(found):,} findings ({', '.join(f'{k} {n:,}' for k, n in sorted(kinds.items()))})"
    )
    times = alternate(
        [
            Command("colabctl matrix --json", matrix_argv, env),
            Command("colabctl review --json", review_argv, env),
        ],
        args.runs,
        warmup=1,
    )
    report(
        f"review of a {members:,}-collaborator account vs matrix --json",
        times,
        "colabctl review --json",
        "colabctl matrix --json",
        REVIEW_TARGET,
    )


if __name__ == "__main__":
    main()
