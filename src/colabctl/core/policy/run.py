"""A whole `colabctl test` run: collect the test files, judge each against its world
(the live store, or a scratch store built from a team file) and report, with the
catalog's coverage (docs/policy-tests.md)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from colabctl.core.catalog import catalog
from colabctl.core.policy.judge import Judge, Result, judge_check, judge_only
from colabctl.core.policy.scratch import scratch_store
from colabctl.core.policy.snapshot import judge_matrix
from colabctl.core.policy.testfile import TestFile, collect
from colabctl.core.session import Context, reading
from colabctl.errors import Invalid
from colabctl.i18n import _

if TYPE_CHECKING:
    from colabctl.core import shapes


@dataclass
class Coverage:
    named: list[str]  # delegable ids some assertion names, catalog order
    uncovered: list[str]
    minimum: float | None

    @property
    def percent(self) -> float:
        total = len(self.named) + len(self.uncovered)
        return 100.0 * len(self.named) / total if total else 100.0

    @property
    def below(self) -> bool:
        return self.minimum is not None and self.percent < self.minimum

    def as_json(self) -> shapes.Coverage:
        return {
            "percent": round(self.percent, 1),
            "minimum": self.minimum,
            "named": self.named,
            "uncovered": self.uncovered,
        }


@dataclass
class FileReport:
    shown: str
    team: str | None
    results: list[Result]

    def as_json(self) -> shapes.PolicyFile:
        return {"file": self.shown, "team": self.team, "cases": [r.as_json() for r in self.results]}


@dataclass
class Report:
    files: list[FileReport]
    coverage: Coverage
    notes: list[str]

    @property
    def passed(self) -> int:
        return sum(r.passed for f in self.files for r in f.results)

    @property
    def failed(self) -> int:
        return sum(not r.passed for f in self.files for r in f.results)

    @property
    def ok(self) -> bool:
        return self.failed == 0 and not self.coverage.below

    def as_json(self) -> shapes.PolicyRun:
        return {
            "passed": self.passed,
            "failed": self.failed,
            "coverage": self.coverage.as_json(),
            "files": [f.as_json() for f in self.files],
            "notes": self.notes,
        }


def coverage(files: list[TestFile], minimum: float | None) -> Coverage:
    named = {
        c.permission.id
        for f in files
        for c in f.cases
        if c.permission is not None and c.kind in ("allow", "deny", "only")
    }
    delegable = [p.id for p in catalog().delegable]
    return Coverage(
        [i for i in delegable if i in named], [i for i in delegable if i not in named], minimum
    )


def judge_file(j: Judge, test: TestFile, *, update: bool, notes: list[str]) -> list[Result]:
    results = []
    for case in test.cases:
        if case.kind in ("allow", "deny"):
            results.append(judge_check(j, case))
        elif case.kind == "only":
            results.append(judge_only(j, case))
        else:
            results.append(judge_matrix(j, case, update=update, notes=notes))
    return results


def run(
    ctx: Context,
    paths: Sequence[str],
    *,
    team: str | None = None,
    update: bool = False,
    min_coverage: float | None = None,
) -> Report:
    """Collect the test files, then judge each against its world: its own team file,
    else --team, else the live store (one read transaction, as the actor)."""
    if min_coverage is not None and not 0 <= min_coverage <= 100:
        raise Invalid(_("--min-coverage is a percentage, from 0 to 100"))
    files, notes = collect(paths)
    default_team = Path(team) if team else None
    by_world: dict[Path | None, list[TestFile]] = {}
    for test in files:
        by_world.setdefault(test.team or default_team, []).append(test)
    judged: dict[str, list[Result]] = {}
    for team_path, members in by_world.items():
        with _world(ctx, team_path) as judge:
            for test in members:
                judged[test.shown] = judge_file(judge, test, update=update, notes=notes)
    reports = [
        FileReport(
            t.shown,
            str(t.team or default_team) if (t.team or default_team) else None,
            judged[t.shown],
        )
        for t in files
    ]
    return Report(reports, coverage(files, min_coverage), notes)


@contextmanager
def _world(ctx: Context, team_path: Path | None) -> Iterator[Judge]:
    if team_path is None:
        with reading(ctx) as s:
            # no actor at all: 5; a stranger (no registered user) is judged as one, and
            # every account then answers as a missing one (docs/commands.md)
            me = s.known_actor()
            yield Judge(s, me.email if me is not None else str(ctx.actor_email()))
        return
    with scratch_store(ctx, team_path) as s:
        yield Judge(s, None)
