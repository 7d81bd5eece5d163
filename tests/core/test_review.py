"""core/review.py: the access review (docs/review.md). Its questions of the standings
(separation-of-duties pairs from a rules file, high-risk holders, broad and unused
profiles, stale and expired invitations, access about to end), findings whose ids are
the same from run to run, and acknowledgements that hold while the subject is unchanged;
the owner's alone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from support import ACME, BEA, BOB, CAIO, OWNER, ZED, FakeClock, audit_trail, dump, write

from colabctl.core import collaborators, profiles, users
from colabctl.core.catalog import catalog
from colabctl.core.review import ack, finding_id, review
from colabctl.core.session import Context
from colabctl.errors import Forbidden, Invalid, NotFound
from colabctl.store.engine import Target

As = Callable[[str | None], Context]
PAIR = (
    '[[sod]]\nname = "refund-and-search"\n'
    'permissions = ["purchases.request_refunds", "Search purchases"]\n'
)


def kinds(ctx: Context, **options: object) -> list[tuple[str, str, str]]:
    return [(f.kind, f.severity, f.subject) for f in review(ctx, account=ACME, **options)]  # type: ignore[arg-type]


# -- findings -----------------------------------------------------------------------------------


@pytest.mark.engines("sqlite", "postgres")
def test_what_a_holder_holds_is_judged(acme_db: Target, ctx_as: As, tmp_path: Path) -> None:
    rules = write(tmp_path / "rules.toml", PAIR)
    found = kinds(ctx_as(OWNER), rules=rules)
    assert found == [
        ("sod-conflict", "high", BOB),
        ("high-risk-holder", "medium", BOB),
        ("unused-profile", "low", "profile:tecnico"),
    ]
    (conflict, risky, _) = review(ctx_as(OWNER), account=ACME, rules=rules)
    assert str(conflict.message) == (
        f"{BOB} (soporte) holds both purchases.request_refunds and purchases.search"
        " (rule refund-and-search)"
    )
    assert str(risky.message) == (
        f"{BOB} (soporte) holds 2 high-risk permissions:"
        " purchases.request_refunds, purchases.change_buyer_email"
    )
    assert conflict.id == finding_id(
        "sod-conflict", ACME, BOB.upper(), ("purchases.request_refunds", "purchases.search")
    )


@pytest.mark.engines("sqlite", "postgres")
def test_invitations_left_too_long_and_access_about_to_end(
    acme_db: Target, ctx_as: As, clock: FakeClock
) -> None:
    collaborators.invite(
        ctx_as(OWNER), BEA, profile="tecnico", expires_in=timedelta(days=30), account=ACME
    )
    collaborators.invite(ctx_as(OWNER), CAIO, profile="tecnico", account=ACME)
    collaborators.set_access_until(ctx_as(OWNER), BOB, "25d", account=ACME)
    clock.advance(days=20)
    found = kinds(ctx_as(OWNER))
    assert ("stale-invitation", "low", BEA) in found
    assert ("expired-invitation", "low", CAIO) in found
    assert ("access-ending", "low", BOB) in found
    assert ("unused-profile", "low", "profile:tecnico") not in found  # bea holds it, pending


@pytest.mark.engines("sqlite", "postgres")
def test_a_profile_holding_most_of_the_catalog_is_broad(acme_db: Target, ctx_as: As) -> None:
    most = [p.id for p in catalog().delegable][:30]  # 30 of 37: more than 75%
    profiles.create(ctx_as(OWNER), "almost-all", perms=most, account=ACME)
    (broad,) = [f for f in review(ctx_as(OWNER), account=ACME) if f.kind == "broad-profile"]
    assert str(broad.message) == (
        "profile almost-all holds 30 of the 37 delegable permissions (81%, more than 75%)"
    )


@pytest.mark.engines("sqlite", "postgres")
def test_the_review_is_the_owners(acme_db: Target, ctx_as: As) -> None:
    with pytest.raises(Forbidden, match="only the owner"):
        review(ctx_as(BOB), account=ACME)
    users.register(ctx_as(None), ZED)
    with pytest.raises(NotFound):
        review(ctx_as(ZED), account=ACME)
    assert review(ctx_as(BOB), all_accounts=True) == []  # bob owns nothing
    assert {f.account for f in review(ctx_as(OWNER), all_accounts=True)} == {ACME}


# -- acknowledgements ---------------------------------------------------------------------------


@pytest.mark.engines("sqlite", "postgres")
def test_an_acknowledgement_holds_until_the_subject_changes(acme_db: Target, ctx_as: As) -> None:
    (risky,) = [f for f in review(ctx_as(OWNER), account=ACME) if f.kind == "high-risk-holder"]
    done, written = ack(ctx_as(OWNER), risky.id.upper(), reason="  Bob handles refunds  ")
    assert written and done.ack is not None and done.ack.reason == "Bob handles refunds"
    assert audit_trail(acme_db, "action", "target")[-1] == ("review.ack", BOB)
    before = dump(acme_db)
    assert ack(ctx_as(OWNER), risky.id, reason="again")[1] is False  # already: nothing written
    assert dump(acme_db) == before
    (now,) = [f for f in review(ctx_as(OWNER), account=ACME) if f.id == risky.id]
    assert not now.open
    profiles.edit(ctx_as(OWNER), "soporte", add=["tools.listboss"], account=ACME)
    (changed,) = [f for f in review(ctx_as(OWNER), account=ACME) if f.id == risky.id]
    assert changed.open and changed.reopened == done.ack  # the same id, open again


@pytest.mark.engines("sqlite", "postgres")
def test_an_unknown_finding_or_an_empty_reason_is_refused(acme_db: Target, ctx_as: As) -> None:
    with pytest.raises(NotFound) as caught:
        ack(ctx_as(OWNER), "0123456789ab", reason="why")
    assert caught.value.message == 'no finding "0123456789ab" in the accounts you own'
    with pytest.raises(NotFound) as here:
        ack(ctx_as(OWNER), "0123456789ab", reason="why", account=ACME)
    assert here.value.message == f'no finding "0123456789ab" in {ACME}'
    with pytest.raises(Invalid, match="reason is empty"):
        ack(ctx_as(OWNER), "0123456789ab", reason="  ")
