"""core/policy/run.py: a whole run and its report: the coverage of the delegable
permissions, and --min-coverage (docs/policy-tests.md)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from support import OWNER, SOPORTE_HAS, TECNICO_HAS, write
from support import POLICY_CHECKS as CHECKS

from colabctl.core.catalog import catalog
from colabctl.core.policy.run import run
from colabctl.core.session import Context
from colabctl.errors import Invalid
from colabctl.store.engine import Target

As = Callable[[str | None], Context]


def test_coverage_counts_the_delegable_permissions_named(
    acme_db: Target, ctx_as: As, tmp_path: Path
) -> None:
    path = str(write(tmp_path / "t.toml", CHECKS))
    report = run(ctx_as(OWNER), [path], min_coverage=50)
    assert report.coverage.named == catalog().ordered(
        [SOPORTE_HAS, TECNICO_HAS, "withdrawal.withdraw"]
    )
    assert len(report.coverage.named) + len(report.coverage.uncovered) == len(catalog().delegable)
    assert report.coverage.below and not report.ok  # every case passed, still below 50%
    with pytest.raises(Invalid, match="--min-coverage is a percentage, from 0 to 100"):
        run(ctx_as(OWNER), [path], min_coverage=101)
