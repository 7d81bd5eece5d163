"""`can --batch`, `matrix --json` and `who-can --json` never disagree (STYLE: one
decision function answers them all), on random small stores built through core.

Engines: SQLite only: the property is about one decision function behind three commands,
above the engine; the statements it runs are prepared on PostgreSQL by the statement
recorder (tests/sqlrecorder.py), and the engines' answers are held equal in
tests/core/test_access.py."""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import NOBODY, FakeClock
from typer.testing import CliRunner, Result

from colabctl.cli import app, common
from colabctl.core import accounts, collaborators, profiles, users
from colabctl.core.catalog import catalog
from colabctl.core.session import Context

CNPJ = "11.222.333/0001-81"
OWNERS = ["ana@example.com", "bruno@example.com"]
PEOPLE = ["bea@example.com", "Caio.Reis@example.com", "dora@example.com"]
EVERYONE = OWNERS + PEOPLE
SLUGS = ["acme-cursos", "beta-cursos", "gamma-cursos"]
NAMES = ["soporte", "tecnico"]
ALL_IDS = [p.id for p in catalog().permissions]
DELEGABLE = [p.id for p in catalog().delegable]
FATES = ["none", "pending", "active", "expired", "declined", "revoked", "revoked-then-active"]


@dataclass(frozen=True)
class AccountPlan:
    slug: str
    owner: str
    legal: bool
    profiles: dict[str, frozenset[str]]
    fates: dict[str, tuple[str, str]]  # email -> (fate, profile name)


@st.composite
def account_plans(draw: st.DrawFn, slug: str) -> AccountPlan:
    owner = draw(st.sampled_from(OWNERS))
    legal = draw(st.sampled_from([True, True, True, False]))
    names = NAMES[: draw(st.integers(1, len(NAMES)))] if legal else []
    perms = st.frozensets(st.sampled_from(DELEGABLE), min_size=1, max_size=12)
    plan_profiles = {name: draw(perms) for name in names}
    fates: dict[str, tuple[str, str]] = {}
    if names:
        for email in EVERYONE:
            if email == owner:
                continue
            fate = draw(st.sampled_from(FATES))
            if fate != "none":
                fates[email] = (fate, draw(st.sampled_from(names)))
    return AccountPlan(slug, owner, legal, plan_profiles, fates)


stores = st.integers(1, len(SLUGS)).flatmap(
    lambda n: st.tuples(*(account_plans(slug) for slug in SLUGS[:n]))
)


def build(db: Path, clock: FakeClock, plans: tuple[AccountPlan, ...]) -> None:
    """Every step through core; each must succeed."""

    def ctx(actor: str | None) -> Context:
        return Context(db=str(db), actor=actor, clock=clock)

    for email in EVERYONE:
        users.register(ctx(None), email)
    for plan in plans:
        tax = {"tax_id": CNPJ, "country": "BR"} if plan.legal else {}
        accounts.create(ctx(plan.owner), plan.slug, plan.slug.title(), **tax)
        for name, perms in plan.profiles.items():
            profiles.create(ctx(plan.owner), name, perms=sorted(perms), account=plan.slug)
    # invitations that will expire, then the clock moves past them
    for plan in plans:
        for email, (fate, name) in plan.fates.items():
            if fate == "expired":
                collaborators.invite(
                    ctx(plan.owner),
                    email,
                    profile=name,
                    expires_in=timedelta(hours=1),
                    account=plan.slug,
                )
    clock.advance(hours=2)
    for plan in plans:
        owner = ctx(plan.owner)
        for email, (fate, name) in plan.fates.items():
            if fate == "expired":
                continue
            collaborators.invite(owner, email, profile=name, account=plan.slug)
            if fate in ("active", "revoked", "revoked-then-active"):
                collaborators.accept(ctx(email), plan.slug)
            if fate == "declined":
                collaborators.decline(ctx(email), plan.slug)
            if fate in ("revoked", "revoked-then-active"):
                collaborators.remove(owner, email, account=plan.slug)
            if fate == "revoked-then-active":
                other = sorted(plan.profiles)[-1]
                collaborators.invite(owner, email, profile=other, account=plan.slug)
                collaborators.accept(ctx(email), plan.slug)


def run(runner: CliRunner, db: Path, actor: str, *args: str) -> Result:
    result = runner.invoke(app, ["--db", str(db), "--as", actor, *args])
    assert "Traceback" not in result.stdout + result.stderr
    return result


def expected_fate(plan: AccountPlan, email: str, later: bool) -> tuple[str | None, str | None]:
    """(status, profile) the rules give the person's latest membership."""
    if email == plan.owner:
        return "owner", "owner"
    fate, name = plan.fates.get(email, ("none", ""))
    if fate == "none":
        return None, None
    if fate == "revoked-then-active":
        return "active", sorted(plan.profiles)[-1]
    if fate == "pending" and later:
        return "expired", name
    return fate, name


@pytest.mark.slow  # builds a store per example
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plans=stores, later=st.booleans(), sample=st.randoms(use_true_random=False))
def test_batch_matrix_and_who_can_agree(
    plans: tuple[AccountPlan, ...], later: bool, sample: Any
) -> None:
    """`later`: the clock then moves 8 days with no write in between, so pending
    invitations are expired only as the readers judge them."""
    folder = Path(tempfile.mkdtemp(prefix="colabctl-agree-"))
    try:
        db = folder / "store.db"
        clock = FakeClock()
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(common, "CLOCK", clock)
            build(db, clock, plans)
            if later:
                clock.advance(days=8)
            runner = CliRunner()
            for plan in plans:
                check_account(runner, db, folder, plan, later, sample)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def check_account(
    runner: CliRunner, db: Path, folder: Path, plan: AccountPlan, later: bool, sample: Any
) -> None:
    slug = plan.slug
    matrix_run = run(runner, db, plan.owner, "matrix", "-a", slug, "--json")
    assert matrix_run.exit_code == 0, matrix_run.stderr
    grid: dict[str, Any] = json.loads(matrix_run.stdout)
    people = {p["user"].casefold(): p for p in grid["people"]}
    grants = {user.casefold(): set(ids) for user, ids in grid["grants"].items()}
    assert grid["people"][0]["user"] == plan.owner
    assert grants[plan.owner] == set(ALL_IDS)

    # the matrix lists the owner, active and pending people, as the plan made them
    for email in EVERYONE:
        status, profile = expected_fate(plan, email, later)
        if status in ("owner", "active", "pending"):
            person = people[email.casefold()]
            assert (person["status"], person["role"]) == (status, profile), (slug, email)
        else:
            assert grants.get(email.casefold(), set()) == set(), (slug, email)
            listed = people.get(email.casefold())
            assert listed is None or listed["status"] == status, (slug, email, listed)

    # every (user, permission) pair in one batch, in an order of hypothesis's choosing
    lines = [
        {"user": user, "account": slug, "permission": perm}
        for user in [*EVERYONE, NOBODY]
        for perm in ALL_IDS
    ]
    sample.shuffle(lines)
    batch = folder / f"{slug}.jsonl"
    batch.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    batch_run = run(runner, db, plan.owner, "can", "--batch", str(batch))
    assert batch_run.exit_code == 0, batch_run.stderr
    answers = [json.loads(line) for line in batch_run.stdout.splitlines()]
    assert [{k: a[k] for k in ("user", "account", "permission")} for a in answers] == lines

    allowed_by_perm: dict[str, set[str]] = {perm: set() for perm in ALL_IDS}
    for a in answers:
        user = a["user"].casefold()
        in_matrix = a["permission"] in grants.get(user, set())
        assert a["allowed"] is in_matrix, (slug, a, sorted(grants.get(user, set())))
        if a["allowed"]:
            allowed_by_perm[a["permission"]].add(user)
            role = people[user]["role"]
            assert a["reason"] == ("owner" if role == "owner" else f"profile:{role}"), a
        else:
            assert not a["reason"].startswith("profile:") and a["reason"] != "owner", a

    # who-can, for a sample of permissions (always one owner-only id)
    perms = [*sample.sample(DELEGABLE, 6), sample.choice(sorted(catalog().owner_only_ids))]
    for perm in perms:
        who_run = run(runner, db, plan.owner, "who-can", perm, "-a", slug, "--json")
        assert who_run.exit_code == 0, who_run.stderr
        found = json.loads(who_run.stdout)
        assert {f["user"].casefold() for f in found} == allowed_by_perm[perm], (slug, perm)
        for f in found:
            assert f["account"] == slug
            assert f["role"] == people[f["user"].casefold()]["role"]
