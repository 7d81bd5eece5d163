"""core/completion.py: what TAB offers, read from the store and never written: the actor's
own accounts and invitations, and the profiles and people of an account they may read,
so that completing tells nobody more than `account list` or `collaborator list` would."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from support import ACME, BEA, BOB, CAIO, OWNER, ZED, FakeClock

from colabctl.core import accounts, collaborators, completion, users
from colabctl.core.session import Context
from colabctl.errors import NotFound
from colabctl.store.engine import Target

pytestmark = pytest.mark.engines("sqlite", "postgres")

As = Callable[[str | None], Context]


def test_accounts_are_the_actors_own_and_invitations_the_pending_ones(
    acme_db: Target, ctx_as: As
) -> None:
    accounts.create(ctx_as(BOB), "bobs", "Bob's")
    accounts.create(ctx_as(OWNER), "plain", "Plain")
    assert completion.account_slugs(ctx_as(BOB)) == [ACME, "bobs"]
    assert completion.account_slugs(ctx_as(OWNER)) == [ACME, "plain"]
    collaborators.invite(ctx_as(OWNER), BEA, profile="tecnico", account=ACME)
    assert completion.account_slugs(ctx_as(BEA)) == []  # pending: not hers yet
    assert completion.invitation_slugs(ctx_as(BEA)) == [ACME]
    assert completion.invitation_slugs(ctx_as(BOB)) == []  # active: nothing to accept
    collaborators.invite(ctx_as(OWNER), CAIO, profile="tecnico", account=ACME)
    collaborators.decline(ctx_as(CAIO), ACME)
    assert completion.invitation_slugs(ctx_as(CAIO)) == []  # answered: no longer offered


def test_nobody_and_strangers_are_offered_nothing(acme_db: Target, ctx_as: As) -> None:
    assert completion.account_slugs(ctx_as(None)) == []  # nobody logged in
    assert completion.account_slugs(ctx_as("stranger@example.com")) == []
    assert completion.invitation_slugs(ctx_as("stranger@example.com")) == []


def test_profiles_and_people_of_an_account_one_may_read(acme_db: Target, ctx_as: As) -> None:
    collaborators.invite(ctx_as(OWNER), CAIO, profile="tecnico", account=ACME)
    collaborators.decline(ctx_as(CAIO), ACME)  # once invited: still a name to complete
    assert completion.profile_names(ctx_as(BOB), ACME) == ["soporte", "tecnico"]
    assert completion.people(ctx_as(BOB), ACME) == [OWNER, BOB, CAIO]
    users.register(ctx_as(None), ZED)
    for offered in (completion.profile_names, completion.people):
        with pytest.raises(NotFound):
            offered(ctx_as(ZED), ACME)


@pytest.mark.engines("sqlite")
def test_a_missing_store_completes_nothing_and_stays_missing(
    db_path: Path, clock: FakeClock
) -> None:
    ctx = Context(db=str(db_path), actor=OWNER, clock=clock)
    assert completion.account_slugs(ctx) == []
    assert completion.invitation_slugs(ctx) == []
    assert not db_path.exists()
