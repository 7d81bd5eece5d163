"""core/session.py: one command's session with the store. Who acts (--as, then
$COLABCTL_USER, then the logged-in user) and on which account; the one write transaction
(all of it or none of it; due expiries recorded once) and the read snapshot (a missing
store reads as empty and is not created); the account and profile lookups that tell an
outsider nothing; the audit rows a session appends."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from support import ACME, BEA, BOB, OWNER, ZED, FakeClock, audit_trail, dump

from colabctl.core import collaborators, users
from colabctl.core.config import set_current_account, write_config
from colabctl.core.session import Context, reading, writing
from colabctl.errors import Forbidden, Invalid, NotFound
from colabctl.store.engine import Target

As = Callable[[str | None], Context]


# -- who acts, on which account ------------------------------------------------------------------


def test_the_actor_is_as_then_the_environment_then_the_login(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_config({"user": OWNER})
    assert Context(actor=BOB).actor_email() == BOB
    assert (Context().claimed_actor(), Context().actor_email()) == (None, OWNER)
    monkeypatch.setenv("COLABCTL_USER", BEA)
    assert (Context().claimed_actor(), Context().actor_email()) == (BEA, BEA)
    assert Context(actor=BOB).actor_email() == BOB


def test_the_account_is_a_then_the_environment_then_the_actors_current(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_config({"user": OWNER})
    set_current_account("Ana.Souza@EXAMPLE.com", ACME)  # keyed by identity: any spelling
    set_current_account(BOB, "bobs")
    assert Context().account_choice(None) == ACME
    assert Context(actor=BOB).account_choice(None) == "bobs"  # --as never moves hers
    assert Context(actor=BEA).account_choice(None) is None
    monkeypatch.setenv("COLABCTL_ACCOUNT", "from-env")
    assert Context().account_choice(None) == "from-env"
    assert Context().account_choice("given") == "given"


@pytest.mark.engines("sqlite", "postgres")
def test_nobody_and_a_stranger_are_refused_as_actors(acme_db: Target, ctx_as: As) -> None:
    with reading(ctx_as(None)) as s, pytest.raises(Forbidden) as nobody:
        s.actor()
    assert nobody.value.message == "no user: nobody is logged in"
    assert nobody.value.hint == "run `colabctl login EMAIL`, or pass --as EMAIL"
    with reading(ctx_as(ZED)) as s:
        assert s.known_actor() is None
        with pytest.raises(Forbidden) as stranger:
            s.actor()
    assert stranger.value.message == f"{ZED} is not a registered user"
    assert stranger.value.hint == f"run `colabctl login {ZED}` first"


# -- lookups that tell outsiders nothing ---------------------------------------------------------


@pytest.mark.engines("sqlite", "postgres")
def test_a_missing_account_suggests_only_what_the_actor_may_see(
    acme_db: Target, ctx_as: As
) -> None:
    users.register(ctx_as(None), ZED)
    with reading(ctx_as(BOB)) as s, pytest.raises(NotFound) as typo:
        s.get_account("acme-curso")
    assert typo.value.hint == f"did you mean {ACME}? (`colabctl account list` shows yours)"
    for who in (ZED, "stranger@example.com"):
        with reading(ctx_as(who)) as s, pytest.raises(NotFound) as outsider:
            s.get_account("acme-curso")
        assert outsider.value.hint == "`colabctl account list` shows yours"
    with reading(ctx_as("stranger@example.com")) as s, pytest.raises(NotFound) as hidden:
        s.get_account(ACME)  # it exists: a stranger is told the same as for none
    assert hidden.value.message == f'no account "{ACME}"'


@pytest.mark.engines("sqlite", "postgres")
def test_an_invitee_is_offered_the_account_of_their_invitation(acme_db: Target, ctx_as: As) -> None:
    collaborators.invite(ctx_as(OWNER), BEA, profile="tecnico", account=ACME)
    with reading(ctx_as(BEA)) as s:
        with pytest.raises(NotFound) as invited:
            s.get_account("acme-curso", invitations=True)
        with pytest.raises(NotFound) as active:
            s.get_account("acme-curso")
    assert invited.value.hint == f"did you mean {ACME}? (`colabctl account list` shows yours)"
    assert active.value.hint == "`colabctl account list` shows yours"  # not hers yet


@pytest.mark.engines("sqlite", "postgres")
def test_a_missing_profile_suggests_the_closest(acme_db: Target, ctx_as: As) -> None:
    with reading(ctx_as(OWNER)) as s:
        acct = s.get_account(ACME)
        assert s.profile_row(acct, "soporte")[1] == "soporte"
        with pytest.raises(NotFound) as caught:
            s.profile_row(acct, "tecnica")
    assert caught.value.message == f'no profile "tecnica" in {ACME}'
    assert caught.value.hint == (
        f"did you mean tecnico? (`colabctl profile list -a {ACME}` shows them)"
    )


# -- transactions --------------------------------------------------------------------------------


@pytest.mark.engines("sqlite", "postgres")
def test_a_write_is_all_or_nothing(acme_db: Target, ctx_as: As) -> None:
    before = dump(acme_db)
    with pytest.raises(RuntimeError), writing(ctx_as(OWNER)) as s:
        collaborators.invite_in(s, s.get_account(ACME), BEA, "tecnico")
        s.record("note", target="test")
        raise RuntimeError("interrupted")
    assert dump(acme_db) == before


@pytest.mark.engines("sqlite", "postgres")
def test_a_due_expiry_is_recorded_once_by_the_next_write(
    acme_db: Target, ctx_as: As, clock: FakeClock
) -> None:
    collaborators.invite(ctx_as(OWNER), BEA, profile="tecnico", account=ACME)
    clock.advance(days=8)
    (bea,) = collaborators.list_members(ctx_as(OWNER), status="expired", account=ACME)
    assert bea.user == BEA  # a read judges it expired, and records nothing
    assert audit_trail(acme_db, "action")[-1] == ("invitation.create",)
    users.register(ctx_as(None), ZED)  # any write
    users.register(ctx_as(None), "another@example.com")
    expiries = [
        r for r in audit_trail(acme_db, "action", "target", "actor") if r[0] == "invitation.expire"
    ]
    assert expiries == [("invitation.expire", BEA, None)]  # by nobody, once


@pytest.mark.engines("sqlite", "postgres")
def test_deferred_rows_are_appended_in_order_or_not_at_all(acme_db: Target, ctx_as: As) -> None:
    with writing(ctx_as(OWNER)) as s, s.deferred_audit():
        s.record("note.one", target="1")
        s.record("note.two", target="2")
    assert audit_trail(acme_db, "action", "target")[-2:] == [("note.one", "1"), ("note.two", "2")]
    before = dump(acme_db)
    with pytest.raises(RuntimeError), writing(ctx_as(OWNER)) as s, s.deferred_audit():
        s.record("note.three", target="3")
        raise RuntimeError("interrupted")
    assert dump(acme_db) == before


@pytest.mark.engines("sqlite", "postgres")
def test_a_new_user_that_looks_like_another_is_refused(acme_db: Target, ctx_as: As) -> None:
    before = dump(acme_db)
    with pytest.raises(Invalid) as caught, writing(ctx_as(None)) as s:
        s.add_user("ana.souza@examp1e.com")
    assert (
        caught.value.message == '"ana.souza@examp1e.com" looks like the address of an existing user'
    )
    assert dump(acme_db) == before


@pytest.mark.engines("sqlite")
def test_a_missing_store_reads_as_empty_and_stays_missing(db_path: Path, ctx_as: As) -> None:
    with reading(ctx_as(OWNER)) as s:
        assert s.account_by_slug(ACME) is None
        assert s.user_by_email(OWNER) is None
    assert not db_path.exists()
