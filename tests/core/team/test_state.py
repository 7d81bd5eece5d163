"""core/team/state.py: what a plan needs of the accounts a file names, read in bulk: each
account, its profiles with their permissions, and the membership that speaks for each
person (the live one, else the latest), its status judged now."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from support import ACME, BEA, BOB, OWNER, FakeClock, preset_ids

from colabctl.core import accounts, collaborators
from colabctl.core.identity import email_key
from colabctl.core.session import Context, reading
from colabctl.core.team.state import State, read
from colabctl.errors import Invalid
from colabctl.store.engine import Target

pytestmark = pytest.mark.engines("sqlite", "postgres")

As = Callable[[str | None], Context]


def test_the_state_of_the_accounts_named(acme_db: Target, ctx_as: As, clock: FakeClock) -> None:
    accounts.create(ctx_as(OWNER), "other", "Other")
    collaborators.invite(ctx_as(OWNER), BEA, profile="tecnico", account=ACME)
    clock.advance(days=8)  # bea's invitation expires (no write records it yet)
    with reading(ctx_as(OWNER)) as s:
        state = State(s, [ACME, "no-such"])
    assert list(state.accounts) == [ACME]  # only those that exist; only those named
    acme = state.accounts[ACME]
    assert sorted(state.profiles[acme.id]) == ["soporte", "tecnico"]
    assert state.profiles[acme.id]["tecnico"].permissions == frozenset(preset_ids("tecnico"))
    people = state.members[acme.id]
    assert sorted(people) == [email_key(BEA), email_key(BOB)]
    assert (people[email_key(BEA)].status, people[email_key(BOB)].status) == ("expired", "active")


def test_the_live_membership_speaks_for_a_person(acme_db: Target, ctx_as: As) -> None:
    collaborators.remove(ctx_as(OWNER), BOB, account=ACME)
    collaborators.invite(ctx_as(OWNER), BOB, profile="tecnico", account=ACME)
    with reading(ctx_as(OWNER)) as s:
        state = State(s, [ACME])
    bob = state.members[state.accounts[ACME].id][email_key(BOB)]
    assert (bob.status, bob.profile) == ("pending", "tecnico")  # not the revoked row


def test_read_validates_the_file_against_the_store(acme_db: Target, ctx_as: As) -> None:
    with reading(ctx_as(OWNER)) as s:
        team = read(
            s,
            f'version = 1\n[accounts.{ACME}.collaborators]\n"{BOB}" = "soporte"\n'.encode(),
            "t.toml",
        )
        assert [a.slug for a in team.accounts] == [ACME]
        with pytest.raises(Invalid) as caught:
            read(s, b"version = 2\n", "t.toml")
    assert caught.value.message == "t.toml, line 1: `version` must be 1, not 2"
