"""core/policy/judge.py: each case judged by `access.decide` over the live store as the
actor sees it, its misses in words (docs/policy-tests.md)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from support import ACME, BOB, OWNER, TECNICO_HAS, write
from support import POLICY_CHECKS as CHECKS

from colabctl.core import collaborators, policy
from colabctl.core.policy.judge import verdict
from colabctl.core.session import Context
from colabctl.store.engine import Target

As = Callable[[str | None], Context]


def test_cases_pass_and_fail_by_the_decision_can_uses(
    acme_db: Target, ctx_as: As, tmp_path: Path
) -> None:
    path = write(tmp_path / "t.toml", CHECKS)
    report = policy.run(ctx_as(OWNER), [str(path)])
    assert (report.passed, report.failed, report.ok) == (4, 0, True)
    collaborators.set_profile(ctx_as(OWNER), BOB, "tecnico", account=ACME)
    report = policy.run(ctx_as(OWNER), [str(path)])
    failed = [r for f in report.files for r in f.results if not r.passed]
    assert [(r.case.kind, r.reason) for r in failed] == [
        ("allow", "not-granted"),
        ("deny", "profile:tecnico"),
    ]
    assert [(m.user, m.permission, m.actual) for m in failed[1].misses] == [
        (BOB, TECNICO_HAS, "allowed (profile:tecnico)")
    ]


def test_an_unknown_account_fails_every_case_even_a_deny(
    acme_db: Target, ctx_as: As, tmp_path: Path
) -> None:
    text = CHECKS.replace(ACME, "no-such")
    report = policy.run(ctx_as(OWNER), [str(write(tmp_path / "t.toml", text))])
    assert report.passed == 0
    assert {r.reason for f in report.files for r in f.results} == {"unknown-account"}


def test_a_verdict_is_english_in_json_and_names_the_reason() -> None:
    assert str(verdict(True, "profile:soporte")) == "allowed (profile:soporte)"
    assert str(verdict(False, "owner-only")) == "denied (owner-only)"
