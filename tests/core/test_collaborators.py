"""core/collaborators.py: invitations and their lifecycle (pending -> active | declined |
expired | revoked; an active collaborator's access may end), each command refused with its
error and the store left as it was; and the in-transaction forms other commands build on
(team-as-code's apply): `invite_in(..., access_until=)`, `invite_many_in`,
`set_access_until_in(s, acct, email, until)`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from support import (
    ACME,
    BEA,
    BOB,
    CAIO,
    OWNER,
    START,
    ZED,
    FakeClock,
    audit_trail,
    dump,
)

from colabctl.core import access, collaborators, users
from colabctl.core.clock import end_of_day, iso
from colabctl.core.session import Context, reading, writing
from colabctl.errors import Conflict, Forbidden, Invalid, NotFound
from colabctl.store.engine import Target

pytestmark = pytest.mark.engines("sqlite", "postgres")

As = Callable[[str | None], Context]


def invited(ctx_as: As, email: str = BEA, profile: str = "tecnico") -> collaborators.Outcome:
    return collaborators.invite(ctx_as(OWNER), email, profile=profile, account=ACME)


def status_of(ctx_as: As, email: str) -> str | None:
    with reading(ctx_as(OWNER)) as s:
        return access.standing_of(s, ACME, email).status


# -- invite ---------------------------------------------------------------------------------


def test_an_invitation_is_pending_for_seven_days(acme_db: Target, ctx_as: As) -> None:
    made = invited(ctx_as, "Bea@Example.COM")  # stored normalised: the domain lowered
    member = made.membership
    bea = "Bea@example.com"
    assert made.changed
    assert (member.user, member.profile, member.status) == (bea, "tecnico", "pending")
    assert (member.invited_at, member.expires_at) == (iso(START), iso(START + timedelta(days=7)))
    assert (member.invited_by, member.access_until) == (OWNER, None)
    assert made.message == f"invited {bea} to {ACME} as tecnico (expires {member.expires_at})"
    (row,) = [r for r in audit_trail(acme_db, "action", "target", "details") if r[1] == bea]
    assert row == (
        "invitation.create",
        bea,
        {"profile": "tecnico", "expires_at": member.expires_at, "new_user": True},
    )


def test_the_same_invitation_again_changes_nothing(acme_db: Target, ctx_as: As) -> None:
    invited(ctx_as)
    before = dump(acme_db)
    again = invited(ctx_as)
    assert not again.changed
    assert (
        again.message == f"{BEA} is already pending in {ACME} with profile tecnico: nothing to do"
    )
    assert dump(acme_db) == before


@pytest.mark.parametrize(
    ("email", "profile", "error", "message"),
    [
        (BOB, "tecnico", Conflict, f"{BOB} is already active in {ACME} with profile soporte"),
        (OWNER, "tecnico", Conflict, f"{OWNER} owns {ACME}: the owner already holds everything"),
        (BEA, "suporte", NotFound, f'no profile "suporte" in {ACME}'),
        ("cаio@example.com", "tecnico", Invalid, "its local part mixes scripts"),  # Cyrillic а
    ],
)
def test_an_invitation_that_cannot_be_is_refused(
    acme_db: Target,
    ctx_as: As,
    email: str,
    profile: str,
    error: type[Exception],
    message: str,
) -> None:
    before = dump(acme_db)
    with pytest.raises(error) as caught:
        invited(ctx_as, email, profile)
    assert message in str(getattr(caught.value, "message", caught.value))
    assert dump(acme_db) == before


def test_a_profile_typo_is_answered_with_the_closest(acme_db: Target, ctx_as: As) -> None:
    with pytest.raises(NotFound) as caught:
        invited(ctx_as, BEA, "suporte")
    assert caught.value.hint == (
        f"did you mean soporte? (`colabctl profile list -a {ACME}` shows them)"
    )


def test_a_malformed_until_fails_before_the_store_opens(tmp_path: Path, clock: FakeClock) -> None:
    db = tmp_path / "none.db"
    ctx = Context(db=str(db), actor=OWNER, clock=clock)
    with pytest.raises(Invalid, match="not a date"):
        collaborators.invite(ctx, BEA, profile="soporte", access_until="soon", account=ACME)
    assert not db.exists()


def test_invite_many_in_makes_each_once(acme_db: Target, ctx_as: As) -> None:
    new = [
        collaborators.Invitation(BEA, "tecnico"),
        collaborators.Invitation(CAIO, "soporte", timedelta(hours=1)),
        collaborators.Invitation(BEA, "tecnico"),  # the same again: left alone
    ]
    with writing(ctx_as(OWNER)) as s:
        made = collaborators.invite_many_in(s, s.get_account(ACME), new)
    assert [created for _, created in made] == [True, True, False]
    assert made[0][0] == made[2][0]
    with reading(ctx_as(OWNER)) as s:
        people = {m.user: m for m in collaborators.members_in(s, s.get_account(ACME))}
    assert people[CAIO].expires_at == iso(START + timedelta(hours=1))
    assert (people[BEA].status, people[CAIO].status) == ("pending", "pending")


# -- accept and decline ----------------------------------------------------------------------


def test_accepting_makes_an_active_collaborator(acme_db: Target, ctx_as: As) -> None:
    invited(ctx_as)
    done = collaborators.accept(ctx_as(BEA), ACME)
    assert done.message == f"you are now a collaborator of {ACME} as tecnico"
    assert (done.membership.status, done.membership.responded_at) == ("active", iso(START))
    assert done.membership.expires_at is None  # accepted: no longer expires
    with pytest.raises(Conflict) as again:
        collaborators.accept(ctx_as(BEA), ACME)
    assert again.value.message == (
        f"your invitation to {ACME} is no longer pending (active): nothing to accept"
    )


def test_declining_ends_the_invitation(acme_db: Target, ctx_as: As, clock: FakeClock) -> None:
    invited(ctx_as)
    clock.advance(hours=1)
    done = collaborators.decline(ctx_as(BEA), ACME)
    assert done.message == f"you declined the invitation to {ACME}"
    assert (done.membership.status, done.membership.ended_at) == ("declined", iso(clock()))
    with pytest.raises(Conflict, match="no longer pending \\(declined\\): nothing to accept"):
        collaborators.accept(ctx_as(BEA), ACME)


def test_an_expired_invitation_cannot_be_accepted(
    acme_db: Target, ctx_as: As, clock: FakeClock
) -> None:
    expires = invited(ctx_as).membership.expires_at
    clock.advance(days=7)
    assert status_of(ctx_as, BEA) == "expired"  # judged at the read, before any write
    before = dump(acme_db)
    with pytest.raises(Conflict) as caught:
        collaborators.accept(ctx_as(BEA), ACME)
    assert caught.value.message == f"your invitation to {ACME} expired on {expires}"
    assert caught.value.hint == f"ask the owner ({OWNER}) for `colabctl invitation renew {BEA}`"
    assert dump(acme_db) == before


def test_someone_never_invited_is_told_of_no_account(acme_db: Target, ctx_as: As) -> None:
    users.register(ctx_as(None), ZED)
    for answer in (collaborators.accept, collaborators.decline):
        with pytest.raises(NotFound) as caught:
            answer(ctx_as(ZED), ACME)
        assert caught.value.message == f'no account "{ACME}"'  # as if there were none


def test_access_that_ended_before_acceptance_is_refused(
    acme_db: Target, ctx_as: As, clock: FakeClock
) -> None:
    collaborators.invite(ctx_as(OWNER), BEA, profile="tecnico", access_until="1h", account=ACME)
    clock.advance(hours=2)
    with pytest.raises(Conflict) as caught:
        collaborators.accept(ctx_as(BEA), ACME)
    assert caught.value.message == (
        f"the access your invitation to {ACME} offers ended on {iso(START + timedelta(hours=1))}"
    )


# -- the owner's changes -----------------------------------------------------------------------


def test_set_profile_moves_a_collaborator(acme_db: Target, ctx_as: As) -> None:
    done = collaborators.set_profile(ctx_as(OWNER), BOB, "tecnico", account=ACME)
    assert (done.changed, done.message) == (True, f"{BOB} now has profile tecnico (was soporte)")
    same = collaborators.set_profile(ctx_as(OWNER), BOB, "tecnico", account=ACME)
    assert (same.changed, same.message) == (False, f"{BOB} already has profile tecnico")
    with pytest.raises(NotFound, match='no profile "nope"'):
        collaborators.set_profile(ctx_as(OWNER), BOB, "nope", account=ACME)
    with pytest.raises(Conflict) as owner:
        collaborators.set_profile(ctx_as(OWNER), OWNER, "tecnico", account=ACME)
    assert owner.value.message == f"{OWNER} owns {ACME}: the owner is not a collaborator"


def read_back(ctx_as: As, email: str) -> collaborators.Membership:
    (row,) = [m for m in collaborators.list_members(ctx_as(OWNER), account=ACME) if m.user == email]
    return row


def test_an_outcome_shows_the_row_as_stored(acme_db: Target, ctx_as: As, clock: FakeClock) -> None:
    """set-profile, remove and decline answer with the membership they wrote without
    reading it back (one statement less under the writer lock): it is what a read shows."""
    invited(ctx_as, CAIO)
    clock.advance(hours=1)
    moved = collaborators.set_profile(ctx_as(OWNER), BOB, "tecnico", account=ACME)
    assert moved.membership == read_back(ctx_as, BOB)
    clock.advance(hours=1)
    removed = collaborators.remove(ctx_as(OWNER), BOB, account=ACME)
    assert removed.membership == read_back(ctx_as, BOB)
    assert (removed.membership.status, removed.membership.ended_at) == ("revoked", iso(clock()))
    declined = collaborators.decline(ctx_as(CAIO), ACME)
    assert declined.membership == read_back(ctx_as, CAIO)


def test_only_the_owner_changes_collaborators(acme_db: Target, ctx_as: As) -> None:
    invited(ctx_as)
    before = dump(acme_db)
    with pytest.raises(Forbidden) as caught:
        collaborators.remove(ctx_as(BOB), BEA, account=ACME)
    assert caught.value.message == f"only the owner of {ACME} ({OWNER}) can do that"
    assert dump(acme_db) == before


def test_removing_revokes_once(acme_db: Target, ctx_as: As, clock: FakeClock) -> None:
    clock.advance(minutes=5)
    done = collaborators.remove(ctx_as(OWNER), BOB, account=ACME)
    assert done.message == f"removed {BOB} from {ACME} (was active)"
    assert (done.membership.status, done.membership.ended_at) == ("revoked", iso(clock()))
    with pytest.raises(Conflict) as again:
        collaborators.remove(ctx_as(OWNER), BOB, account=ACME)
    assert again.value.message == f"{BOB} is already revoked in {ACME}"
    with pytest.raises(Conflict) as moved:
        collaborators.set_profile(ctx_as(OWNER), BOB, "tecnico", account=ACME)
    assert moved.value.message == f"{BOB} is revoked in {ACME}, not a collaborator"


def test_someone_unknown_is_not_a_collaborator(acme_db: Target, ctx_as: As) -> None:
    with pytest.raises(NotFound) as typo:
        collaborators.remove(ctx_as(OWNER), "bob.costa@example.co", account=ACME)
    assert typo.value.message == f"bob.costa@example.co is not a collaborator of {ACME}"
    assert typo.value.hint == f"did you mean {BOB}? (`colabctl collaborator list` shows them)"
    with pytest.raises(NotFound) as stranger:
        collaborators.remove(ctx_as(OWNER), "zzz@nowhere.example", account=ACME)
    assert (
        stranger.value.hint == "invite them: `colabctl invite zzz@nowhere.example --profile NAME`"
    )
    with pytest.raises(Conflict) as owner:
        collaborators.remove(ctx_as(OWNER), OWNER, account=ACME)
    assert owner.value.message == f"{OWNER} owns {ACME}: the owner is not a collaborator"


def test_renew_gives_an_invitation_a_new_expiry(
    acme_db: Target, ctx_as: As, clock: FakeClock
) -> None:
    invited(ctx_as)
    clock.advance(days=8)
    done = collaborators.renew(ctx_as(OWNER), BEA, expires_in=timedelta(days=2), account=ACME)
    expires = iso(clock() + timedelta(days=2))
    assert (done.membership.status, done.membership.expires_at) == ("pending", expires)
    assert done.message == f"renewed the invitation of {BEA} to {ACME} until {expires}"
    with pytest.raises(Conflict) as active:
        collaborators.renew(ctx_as(OWNER), BOB, account=ACME)
    assert active.value.message == (
        f"the invitation of {BOB} is active: only pending or expired invitations can be renewed"
    )
    assert active.value.hint is None  # nothing to do for an active collaborator


def test_list_members_filters_by_status(acme_db: Target, ctx_as: As) -> None:
    invited(ctx_as)
    every = collaborators.list_members(ctx_as(BOB), account=ACME)
    assert [(m.user, m.status) for m in every] == [(BOB, "active"), (BEA, "pending")]
    pending = collaborators.list_members(ctx_as(OWNER), status="pending", account=ACME)
    assert [m.user for m in pending] == [BEA]
    with pytest.raises(Invalid) as caught:
        collaborators.list_members(ctx_as(OWNER), status="gone", account=ACME)
    assert caught.value.message == 'unknown status "gone"'
    assert caught.value.hint == "one of pending, active, expired, declined, revoked, ended"


def test_show_gives_the_standing_what_it_holds_and_the_history(acme_db: Target, ctx_as: As) -> None:
    collaborators.remove(ctx_as(OWNER), BOB, account=ACME)
    collaborators.invite(ctx_as(OWNER), BOB, profile="tecnico", account=ACME)
    member, held, history = collaborators.show(ctx_as(OWNER), BOB, account=ACME)
    assert (member.status, member.profile, held) == ("pending", "tecnico", [])
    assert [(m.status, m.profile) for m in history] == [
        ("revoked", "soporte"),
        ("pending", "tecnico"),
    ]


def test_pending_for_lists_ones_own_invitations(acme_db: Target, ctx_as: As) -> None:
    invited(ctx_as)
    with reading(ctx_as(BEA)) as s:
        (mine,) = collaborators.pending_for(s, s.actor())
    assert (mine.account, mine.profile, mine.invited_by) == (ACME, "tecnico", OWNER)


# -- time-boxed access, in a caller's transaction -----------------------------------------------


def test_invite_in_and_set_access_until_in(acme_db: Target, ctx_as: As, clock: FakeClock) -> None:
    ctx = ctx_as(OWNER)
    until = end_of_day(date(2026, 11, 30))
    with writing(ctx) as s:
        acct = s.get_account(ACME)
        made = collaborators.invite_in(s, acct, BEA, "soporte", access_until=until)
        assert made.membership.access_until == "2026-11-30T23:59:59Z"
    collaborators.accept(ctx_as(BEA), ACME)
    with writing(ctx) as s:
        acct = s.get_account(ACME)
        same = collaborators.set_access_until_in(s, acct, BEA, until)
        assert not same.changed
        later = collaborators.set_access_until_in(s, acct, BEA, until + timedelta(days=1))
        assert later.changed and later.membership.access_until == "2026-12-01T23:59:59Z"
        never = collaborators.set_access_until_in(s, acct, BEA, None)
        assert never.membership.access_until is None
    clock.advance(days=400)
    with writing(ctx) as s:
        assert access.standing_of(s, ACME, BEA).status == "active"  # never ends
        collaborators.set_access_until_in(s, s.get_account(ACME), BEA, START + timedelta(days=401))
    clock.advance(days=2)
    with writing(ctx) as s:
        st = access.standing_of(s, ACME, BEA)
        assert (st.status, st.granted) == ("ended", frozenset())


def test_a_later_date_gives_ended_access_back(
    acme_db: Target, ctx_as: As, clock: FakeClock
) -> None:
    collaborators.set_access_until(ctx_as(OWNER), BOB, "1h", account=ACME)
    clock.advance(hours=2)
    assert status_of(ctx_as, BOB) == "ended"
    with pytest.raises(Conflict) as again:
        invited(ctx_as, BOB, "soporte")
    assert again.value.message == (
        f"the access of {BOB} to {ACME} ended on {iso(START + timedelta(hours=1))}"
    )
    done = collaborators.set_access_until(ctx_as(OWNER), BOB, "never", account=ACME)
    assert done.message == f"the access of {BOB} to {ACME} no longer ends (access restored)"
    assert status_of(ctx_as, BOB) == "active"


def test_refusals_inside_a_transaction_leave_nothing(acme_db: Target, ctx_as: As) -> None:
    ctx = ctx_as(OWNER)
    collaborators.invite(ctx, BEA, profile="soporte", account=ACME)
    before = dump(acme_db)
    with pytest.raises(Invalid), writing(ctx) as s:
        collaborators.set_access_until_in(s, s.get_account(ACME), BEA, START)
    with pytest.raises(Conflict), writing(ctx) as s:
        collaborators.set_access_until_in(s, s.get_account(ACME), OWNER, None)
    with pytest.raises(Invalid), writing(ctx) as s:
        collaborators.invite_in(s, s.get_account(ACME), CAIO, "soporte", access_until=START)
    assert dump(acme_db) == before
