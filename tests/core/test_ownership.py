"""core/ownership.py: the owner offers the account to an active collaborator, who accepts
it and becomes the owner; the old owner stays with the profile the offer names, or leaves
(docs/ownership.md). One open offer per account, judged expired at every read; shown to
the owner and the recipient only."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from support import ACME, BEA, BOB, OWNER, START, ZED, FakeClock, dump

from colabctl.core import access, collaborators, ownership, profiles, users
from colabctl.core.clock import iso
from colabctl.core.session import Context, reading
from colabctl.errors import Conflict, Forbidden, NotFound
from colabctl.store.engine import Target

pytestmark = pytest.mark.engines("sqlite", "postgres")

As = Callable[[str | None], Context]
EXPIRES = iso(START + ownership.OFFER_LIFETIME)


def roles(ctx: Context) -> dict[str, str | None]:
    with reading(ctx) as s:
        return {who: access.standing_of(s, ACME, who).role for who in (OWNER, BOB)}


def test_an_offer_is_made_to_an_active_collaborator(acme_db: Target, ctx_as: As) -> None:
    done = ownership.transfer(ctx_as(OWNER), ACME, BOB, keep_as="tecnico")
    assert done.offer.as_json() == {
        "to": BOB,
        "offered_at": iso(START),
        "expires_at": EXPIRES,
        "from": OWNER,
        "keep_as": "tecnico",
    }
    assert done.message.startswith(f"offered {ACME} to {BOB} until {EXPIRES}; once they accept")
    assert done.message.endswith("you will stay as tecnico")


@pytest.mark.parametrize(
    ("to", "keep_as", "error", "message"),
    [
        (OWNER, None, Conflict, f"{OWNER} already owns {ACME}"),
        (
            BEA,
            None,
            Conflict,
            f"{BEA} is not an active collaborator of {ACME} (their membership is pending):"
            " ownership goes only to one",
        ),
        (
            ZED,
            None,
            Conflict,
            f"{ZED} is not an active collaborator of {ACME}: ownership goes only to one",
        ),
        (BOB, "nope", NotFound, f'no profile "nope" in {ACME}'),
    ],
)
def test_an_offer_that_cannot_be_is_refused(
    acme_db: Target,
    ctx_as: As,
    to: str,
    keep_as: str | None,
    error: type[Exception],
    message: str,
) -> None:
    collaborators.invite(ctx_as(OWNER), BEA, profile="tecnico", account=ACME)
    before = dump(acme_db)
    with pytest.raises(error) as caught:
        ownership.transfer(ctx_as(OWNER), ACME, to, keep_as=keep_as)
    assert getattr(caught.value, "message", None) == message
    assert dump(acme_db) == before


def test_one_open_offer_at_a_time_and_only_the_owner_offers(acme_db: Target, ctx_as: As) -> None:
    ownership.transfer(ctx_as(OWNER), ACME, BOB)
    with pytest.raises(Conflict) as caught:
        ownership.transfer(ctx_as(OWNER), ACME, BOB)
    assert caught.value.message == (
        f"{ACME} already has an open transfer offer (to {BOB}, until {EXPIRES})"
    )
    assert caught.value.hint == f"cancel it first: `colabctl account cancel-transfer {ACME}`"
    with pytest.raises(Forbidden, match="only the owner"):
        ownership.cancel_transfer(ctx_as(BOB), ACME)


def test_an_offer_cancelled_can_no_longer_be_accepted(acme_db: Target, ctx_as: As) -> None:
    with pytest.raises(NotFound) as none:
        ownership.cancel_transfer(ctx_as(OWNER), ACME)
    assert none.value.message == f"{ACME} has no open transfer offer"
    ownership.transfer(ctx_as(OWNER), ACME, BOB)
    done = ownership.cancel_transfer(ctx_as(OWNER), ACME)
    assert (done.offer.status, done.message) == (
        "cancelled",
        f"cancelled the offer of {ACME} to {BOB}",
    )
    with pytest.raises(Conflict, match="was cancelled on"):
        ownership.accept_transfer(ctx_as(BOB), ACME)


def test_accepting_makes_the_recipient_the_owner(acme_db: Target, ctx_as: As) -> None:
    ownership.transfer(ctx_as(OWNER), ACME, BOB, keep_as="tecnico")
    done = ownership.accept_transfer(ctx_as(BOB), ACME)
    assert done.message == f"you now own {ACME}; {OWNER} stays as tecnico"
    assert roles(ctx_as(BOB)) == {OWNER: "tecnico", BOB: "owner"}
    with reading(ctx_as(BOB)) as s:
        assert ownership.open_offer(s, s.get_account(ACME)) is None


def test_without_a_profile_to_keep_the_old_owner_leaves(acme_db: Target, ctx_as: As) -> None:
    ownership.transfer(ctx_as(OWNER), ACME, BOB)
    assert ownership.accept_transfer(ctx_as(BOB), ACME).message == (
        f"you now own {ACME}; {OWNER} left the account"
    )
    assert roles(ctx_as(BOB)) == {OWNER: None, BOB: "owner"}


def test_only_the_recipient_accepts_and_others_learn_nothing(acme_db: Target, ctx_as: As) -> None:
    collaborators.invite(ctx_as(OWNER), BEA, profile="tecnico", account=ACME)
    collaborators.accept(ctx_as(BEA), ACME)
    users.register(ctx_as(None), ZED)
    ownership.transfer(ctx_as(OWNER), ACME, BOB)
    with reading(ctx_as(BEA)) as s:
        assert ownership.visible_offer(s, s.get_account(ACME), BEA) is None
    with pytest.raises(NotFound) as collaborator:
        ownership.accept_transfer(ctx_as(BEA), ACME)
    assert collaborator.value.message == f"no transfer of {ACME} is offered to you"
    with pytest.raises(NotFound) as outsider:
        ownership.accept_transfer(ctx_as(ZED), ACME)
    assert outsider.value.message == f'no account "{ACME}"'


def test_an_offer_expires_after_seven_days(acme_db: Target, ctx_as: As, clock: FakeClock) -> None:
    ownership.transfer(ctx_as(OWNER), ACME, BOB)
    clock.advance(days=7)
    with pytest.raises(Conflict) as caught:
        ownership.accept_transfer(ctx_as(BOB), ACME)
    assert caught.value.message == f"the offer of {ACME} to you expired on {EXPIRES}"
    ownership.transfer(ctx_as(OWNER), ACME, BOB)  # an expired offer holds no slot


def test_the_recipient_must_still_be_active_and_the_profile_still_there(
    acme_db: Target, ctx_as: As, clock: FakeClock
) -> None:
    ownership.transfer(ctx_as(OWNER), ACME, BOB, keep_as="tecnico")
    profiles.delete(ctx_as(OWNER), "tecnico", account=ACME)
    with pytest.raises(Conflict) as gone:
        ownership.accept_transfer(ctx_as(BOB), ACME)
    assert gone.value.message == (
        f'profile "tecnico", which {OWNER} was to keep, no longer exists in {ACME}'
    )
    collaborators.set_access_until(ctx_as(OWNER), BOB, "1h", account=ACME)
    clock.advance(hours=2)  # the offer still open: it is the access that ended
    with pytest.raises(Conflict) as ended:
        ownership.accept_transfer(ctx_as(BOB), ACME)
    assert ended.value.message == (
        f"you are no longer an active collaborator of {ACME} (ended): ownership goes only to one"
    )
