"""A property: for any store and any actor, the answers `colabctl test` gives (allowed
and reason, per assertion) are exactly those `colabctl can --batch` gives to the same
questions. Both come from access.decide; this holds them to it.

Engines: SQLite only: `test` and `can --batch` share one decision function above the
engine; their statements are prepared on PostgreSQL by the statement recorder
(tests/sqlrecorder.py)."""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import FakeClock
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from colabctl.cli import app, common
from colabctl.core import accounts, collaborators, profiles, users
from colabctl.core.catalog import catalog
from colabctl.core.session import Context

CNPJ = "11.222.333/0001-81"
OWNERS = ["ana@example.com", "bruno@example.com"]
PEOPLE = ["bea@example.com", "Caio.Reis@example.com", "dora@example.com"]
EVERYONE = OWNERS + PEOPLE
NOBODY = "nobody@example.com"  # never registered
SLUGS = ["acme-cursos", "beta-cursos"]
ASKED_SLUGS = [*SLUGS, "no-such-account"]
ALL_IDS = [p.id for p in catalog().permissions]
DELEGABLE = [p.id for p in catalog().delegable]
FATES = ["none", "pending", "active", "expired", "declined", "revoked"]


@dataclass(frozen=True)
class Plan:
    slug: str
    owner: str
    perms: dict[str, frozenset[str]]  # profile -> permissions
    fates: dict[str, tuple[str, str]]  # email -> (fate, profile)


@st.composite
def plans(draw: st.DrawFn, slug: str) -> Plan:
    owner = draw(st.sampled_from(OWNERS))
    names = ["soporte", "tecnico"][: draw(st.integers(1, 2))]
    perm_sets = st.frozensets(st.sampled_from(DELEGABLE), min_size=1, max_size=10)
    fates = {}
    for email in EVERYONE:
        fate = draw(st.sampled_from(FATES))
        if email != owner and fate != "none":
            fates[email] = (fate, draw(st.sampled_from(names)))
    return Plan(slug, owner, {n: draw(perm_sets) for n in names}, fates)


def build(db: Path, clock: FakeClock, made: tuple[Plan, ...]) -> None:
    def ctx(actor: str | None) -> Context:
        return Context(db=str(db), actor=actor, clock=clock)

    for email in EVERYONE:
        users.register(ctx(None), email)
    for plan in made:
        accounts.create(ctx(plan.owner), plan.slug, "X", tax_id=CNPJ, country="BR")
        for name, perms in plan.perms.items():
            profiles.create(ctx(plan.owner), name, perms=sorted(perms), account=plan.slug)
        for email, (fate, name) in plan.fates.items():
            hours = 1 if fate == "expired" else 24 * 7
            owner = ctx(plan.owner)
            collaborators.invite(
                owner, email, profile=name, expires_in=timedelta(hours=hours), account=plan.slug
            )
            if fate in ("active", "revoked"):
                collaborators.accept(ctx(email), plan.slug)
            if fate == "declined":
                collaborators.decline(ctx(email), plan.slug)
            if fate == "revoked":
                collaborators.remove(owner, email, account=plan.slug)
    clock.advance(hours=2)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    made=st.integers(1, len(SLUGS)).flatmap(
        lambda n: st.tuples(*(plans(slug) for slug in SLUGS[:n]))
    ),
    actor=st.sampled_from(EVERYONE),
    perms=st.lists(st.sampled_from(ALL_IDS), min_size=1, max_size=6, unique=True),
)
def test_test_answers_equal_can_batch_answers(
    made: tuple[Plan, ...], actor: str, perms: list[str]
) -> None:
    folder = Path(tempfile.mkdtemp(prefix="colabctl-policy-agree-"))
    try:
        db = folder / "store.db"
        clock = FakeClock()
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(common, "CLOCK", clock)
            build(db, clock, made)
            questions = [
                {"user": user, "account": slug, "permission": perm}
                for slug in ASKED_SLUGS
                for user in [*EVERYONE, NOBODY]
                for perm in perms
            ]
            runner = CliRunner()
            batch = folder / "q.jsonl"
            batch.write_text("".join(json.dumps(q) + "\n" for q in questions), encoding="utf-8")
            can = runner.invoke(app, ["--db", str(db), "--as", actor, "can", "--batch", str(batch)])
            assert can.exit_code == 0, can.stderr
            expected = [
                (a["allowed"], a["reason"]) for a in map(json.loads, can.stdout.splitlines())
            ]

            # the same questions as [[check]] tables: one per (account, user), in order
            tables = [
                f"[[check]]\naccount = {json.dumps(slug)}\nuser = {json.dumps(user)}\n"
                f"allow = {json.dumps(perms)}\n"
                for slug in ASKED_SLUGS
                for user in [*EVERYONE, NOBODY]
            ]
            tests = folder / "policy.toml"
            tests.write_text("\n".join(tables), encoding="utf-8")
            run = runner.invoke(app, ["--db", str(db), "--as", actor, "test", str(tests), "--json"])
            assert run.exit_code in (0, 1), run.stderr
            report: dict[str, Any] = json.loads(run.stdout)
            cases = report["files"][0]["cases"]
            got = [(c["allowed"], c["reason"]) for c in cases]
            assert [(c["user"], c["account"], c["permission"]) for c in cases] == [
                (q["user"], q["account"], q["permission"]) for q in questions
            ]
            assert got == expected
            # and each case passed exactly when `can` said yes (they are all allows) on an
            # account the actor may ask about
            assert [c["passed"] for c in cases] == [ok for ok, _ in expected]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
