"""`access.decide(Standing, Permission)`: every reason of docs/json.md, and the
order in which they are decided (unknown account; owner; owner-only id; membership
and its status; the profile)."""

from __future__ import annotations

import pytest
from support import ACME, BEA

from colabctl.core.access import Standing, decide
from colabctl.core.catalog import Permission, catalog

ACCT = ACME
WHO = BEA
GRANTED = "purchases.request_refunds"  # in the profile below
NOT_GRANTED = "withdrawal.withdraw"  # delegable, not in the profile
OWNER_ONLY = "account.bank"
PROFILE = frozenset({GRANTED, "products.view"})


def standing(**fields: object) -> Standing:
    base: dict[str, object] = {
        "user": WHO,
        "account": ACCT,
        "owner": False,
        "status": None,
        "profile": None,
        "granted": frozenset(),
    }
    base.update(fields)
    return Standing(**base)  # type: ignore[arg-type]


def member(status: str, granted: frozenset[str] = PROFILE) -> Standing:
    """A membership in `status` whose profile `soporte` holds `granted`."""
    return standing(
        status=status,
        profile="soporte",
        granted=granted,
        invited_at="2026-11-02T09:00:00Z",
        expires_at="2026-11-09T09:00:00Z",
    )


CASES = [
    # (id, standing, permission, allowed, reason)
    ("owner-delegable", standing(owner=True), GRANTED, True, "owner"),
    ("owner-not-in-any-profile", standing(owner=True), NOT_GRANTED, True, "owner"),
    ("active-granted", member("active"), GRANTED, True, "profile:soporte"),
    ("active-not-granted", member("active"), NOT_GRANTED, False, "not-granted"),
    ("pending", member("pending"), GRANTED, False, "invitation-pending"),
    ("expired", member("expired"), GRANTED, False, "invitation-expired"),
    ("declined", member("declined"), GRANTED, False, "invitation-declined"),
    ("revoked", member("revoked"), GRANTED, False, "revoked"),
    ("access-ended", member("ended"), GRANTED, False, "access-ended"),
    ("never-invited", standing(), GRANTED, False, "not-a-collaborator"),
    ("unknown-account", standing(account=None), GRANTED, False, "unknown-account"),
    # precedence: unknown account before owner
    (
        "unknown-account-beats-owner",
        standing(account=None, owner=True),
        GRANTED,
        False,
        "unknown-account",
    ),
    (
        "unknown-account-beats-active-profile",
        standing(account=None, status="active", profile="soporte", granted=PROFILE),
        GRANTED,
        False,
        "unknown-account",
    ),
    # owner before owner-only
    ("owner-beats-owner-only", standing(owner=True), OWNER_ONLY, True, "owner"),
    # owner-only before membership and its status
    ("owner-only-active", member("active"), OWNER_ONLY, False, "owner-only"),
    (
        "owner-only-even-if-granted",
        member("active", PROFILE | {OWNER_ONLY}),
        OWNER_ONLY,
        False,
        "owner-only",
    ),
    ("owner-only-pending", member("pending"), OWNER_ONLY, False, "owner-only"),
    ("owner-only-revoked", member("revoked"), OWNER_ONLY, False, "owner-only"),
    ("owner-only-stranger", standing(), OWNER_ONLY, False, "owner-only"),
    # status before the profile: a non-active member holding the id in its profile
    ("status-beats-profile-pending", member("pending"), GRANTED, False, "invitation-pending"),
    ("status-beats-profile-expired", member("expired"), GRANTED, False, "invitation-expired"),
    ("status-beats-profile-declined", member("declined"), GRANTED, False, "invitation-declined"),
    ("status-beats-profile-revoked", member("revoked"), GRANTED, False, "revoked"),
    ("status-beats-profile-ended", member("ended"), GRANTED, False, "access-ended"),
    ("owner-only-ended", member("ended"), OWNER_ONLY, False, "owner-only"),
    ("ended-not-granted", member("ended"), NOT_GRANTED, False, "access-ended"),
    # a non-active member whose profile lacks the id is still judged on its status
    ("pending-not-granted", member("pending"), NOT_GRANTED, False, "invitation-pending"),
    ("revoked-not-granted", member("revoked"), NOT_GRANTED, False, "revoked"),
]


@pytest.mark.parametrize(
    ("standing_", "perm_id", "allowed", "reason"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_decide(standing_: Standing, perm_id: str, allowed: bool, reason: str) -> None:
    assert decide(standing_, catalog().by_id[perm_id]) == (allowed, reason)


def test_every_reason_of_spec_is_covered() -> None:
    spec_reasons = {
        "owner",
        "profile:<name>",
        "not-granted",
        "owner-only",
        "invitation-pending",
        "invitation-expired",
        "invitation-declined",
        "revoked",
        "access-ended",
        "not-a-collaborator",
        "unknown-account",
    }
    covered = {"profile:<name>" if r.startswith("profile:") else r for *_, r in CASES}
    assert covered == spec_reasons


def test_the_profile_reason_names_the_profile() -> None:
    st = standing(status="active", profile="gerente-afiliados", granted=PROFILE)
    assert decide(st, catalog().by_id[GRANTED]) == (True, "profile:gerente-afiliados")


@pytest.mark.parametrize("perm", catalog().permissions, ids=lambda p: p.id)
def test_owner_holds_every_catalog_id_and_nobody_else_an_owner_only_one(
    perm: Permission,
) -> None:
    everything = frozenset(p.id for p in catalog().permissions)
    assert decide(standing(owner=True), perm) == (True, "owner")
    active = member("active", everything)
    allowed, reason = decide(active, perm)
    if perm.owner_only:
        assert (allowed, reason) == (False, "owner-only")
    else:
        assert (allowed, reason) == (True, "profile:soporte")


@pytest.mark.parametrize("status", ["pending", "expired", "declined", "revoked", "ended"])
def test_only_active_members_hold_anything(status: str) -> None:
    everything = frozenset(p.id for p in catalog().permissions)
    st = member(status, everything)
    assert not any(decide(st, p)[0] for p in catalog().permissions)
