"""Policy tests: `colabctl test` (docs/policy-tests.md).

A test file states what must (and must never) be true of an account: `[[check]]`
(this person can / cannot do this), `[[only]]` (nobody outside these holders holds
this permission) and `[[matrix]]` (a golden snapshot of who can do what). Each
allow, each deny, each only and each matrix is one test case.

Every answer comes from `access.decide` over `access.standing_of` / `access.standings`:
the same standings and the same decision `can` uses, so a test and `can --batch` can
never disagree. The world judged is either the live store (one read transaction, as
the actor, who sees only what `can` and `matrix` would show them) or a scratch store
built from a team file alone.

The rooms: testfile.py reads and checks the test files into cases; judge.py answers a
check or an only case from one session; snapshot.py writes and compares the matrix
snapshots; scratch.py builds the scratch store from a team file; run.py collects the
files, judges each against its world and makes the report (its JUnit XML and its
lines are the command's: cli/policy.py).
"""

from colabctl.core.policy.judge import Judge, Miss, Result
from colabctl.core.policy.run import Coverage, FileReport, Report, coverage, run
from colabctl.core.policy.scratch import scratch_store
from colabctl.core.policy.snapshot import diff, grid, read_snapshot, snapshot_text
from colabctl.core.policy.testfile import KINDS, Case, TestFile, collect

__all__ = [
    "KINDS",
    "Case",
    "Coverage",
    "FileReport",
    "Judge",
    "Miss",
    "Report",
    "Result",
    "TestFile",
    "collect",
    "coverage",
    "diff",
    "grid",
    "read_snapshot",
    "run",
    "scratch_store",
    "snapshot_text",
]
