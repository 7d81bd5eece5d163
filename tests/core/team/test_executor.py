"""core/team/executor.py: a plan's changes made through the mutations' own
in-transaction forms, consecutive ones of a kind in bulk, each audit row tagged with the
apply's id; a change it cannot make stops the whole transaction."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from support import ACME, BEA, BOB, CAIO, OWNER, audit_trail, dump

from colabctl.core import accounts
from colabctl.core.session import Context, reading, writing
from colabctl.core.team.executor import _batches, execute, refuse_registration
from colabctl.core.team.model import Change
from colabctl.errors import Forbidden, Invalid
from colabctl.store.engine import Target

pytestmark = pytest.mark.engines("sqlite", "postgres")

As = Callable[[str | None], Context]
INVITE = {"profile": "tecnico", "expires_in": 3600, "access_until": None}


def test_changes_of_a_kind_go_in_bulk_in_their_order() -> None:
    changes = [
        Change(ACME, kind, str(i), None, None)
        for i, kind in enumerate(
            ["create-profile", "create-profile", "invite", "reinvite", "set-profile", "invite"]
        )
    ]
    assert [[c.target for c in batch] for batch in _batches(changes)] == [
        ["0", "1"],
        ["2", "3"],
        ["4"],
        ["5"],
    ]


def test_every_row_of_an_apply_carries_its_id(acme_db: Target, ctx_as: As) -> None:
    changes = [
        Change(ACME, "invite", BEA, None, INVITE),
        Change(ACME, "invite", CAIO, None, INVITE),
        Change(ACME, "set-profile", BOB, "soporte", "tecnico"),
    ]
    done: list[int] = []
    with writing(ctx_as(OWNER)) as s:
        apply_id = execute(s, changes, done.append)
        assert s.tag == {}  # the session's later rows are not the apply's
    assert done == [2, 1]  # the two invitations in one batch, then the one change
    rows = audit_trail(acme_db, "action", "target", "details")
    assert [(a, t) for a, t, d in rows if d.get("apply") == apply_id] == [
        ("invitation.create", BEA),
        ("invitation.create", CAIO),
        ("collaborator.set_profile", BOB),
    ]
    with reading(ctx_as(OWNER)) as s:
        assert s.user_by_email(CAIO) is not None


def test_a_change_that_cannot_be_made_stops_the_apply(acme_db: Target, ctx_as: As) -> None:
    accounts.create(ctx_as(OWNER), "plain", "Plain")
    before = dump(acme_db)
    gated = [
        Change(ACME, "invite", BEA, None, INVITE),
        Change("plain", "invite", CAIO, None, INVITE),
    ]
    with pytest.raises(Forbidden, match="plain is not a legal entity"), writing(ctx_as(OWNER)) as s:
        execute(s, gated, None)
    with pytest.raises(Invalid, match='unknown change kind "explode"'), writing(ctx_as(OWNER)) as s:
        execute(s, [Change(ACME, "explode", BEA, None, None)], None)
    with pytest.raises(Forbidden, match="only the owner"), writing(ctx_as(BOB)) as s:
        execute(s, [Change(ACME, "invite", CAIO, None, INVITE)], None)
    assert dump(acme_db) == before


def test_a_plan_registers_only_the_one_who_applies_it(acme_db: Target, ctx_as: As) -> None:
    someone = Change("x-y", "register-user", "new@example.com", None, None)
    with reading(ctx_as("other@example.com")) as s, pytest.raises(Forbidden) as caught:
        refuse_registration(s, someone, "plan.json: change 1")
    assert caught.value.message == (
        "plan.json: change 1: this plan registers new@example.com, but you are"
        " other@example.com: a plan registers only the person who applies it"
    )
    with reading(ctx_as("New@Example.com")) as s:
        refuse_registration(s, someone)  # the same person: no error
