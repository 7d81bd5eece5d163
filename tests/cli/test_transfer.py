"""Handing over the business: `account transfer`, `accept-transfer`, `cancel-transfer`
through the CLI (docs/ownership.md). Every refusal leaves the store as it was."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support import (
    ACME,
    BEA,
    CAIO,
    DORA,
    OWNER,
    ZED,
    Cli,
    FakeClock,
    ctx_for,
    db_refuses,
    dump,
    hidden,
    ok,
    raw,
    refused,
)

from colabctl.core import users
from colabctl.store.engine import Target

pytestmark = pytest.mark.engines("sqlite", "postgres", "bound")


@pytest.fixture
def team(cli: Cli, legal_account: str, db_path: Path, clock: FakeClock) -> str:
    """bea active in soporte (the usual recipient), dora active in tecnico, caio pending in
    tecnico, zed registered and nowhere."""
    for email, profile in ((BEA, "soporte"), (DORA, "tecnico"), (CAIO, "tecnico")):
        ok(cli("invite", email, "--profile", profile))
    ok(cli("--as", BEA, "accept", ACME))
    ok(cli("--as", DORA, "accept", ACME))
    users.register(ctx_for(db_path, None, clock), ZED)
    return legal_account


def as_(who: str, *args: str) -> tuple[str, ...]:
    return ("--as", who, *args)


def show(cli: Cli, who: str = OWNER) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ok(cli(*as_(who, "account", "show", ACME, "--json"))).stdout)
    return data


def actions(db_path: Target) -> list[str]:
    return [r[0] for r in raw(db_path, "SELECT action FROM audit ORDER BY seq")[0]]


def members(cli: Cli, who: str) -> dict[str, list[tuple[str, str | None]]]:
    """Every membership row (status, profile) per person, as WHO reads the list."""
    rows = json.loads(ok(cli(*as_(who, "collaborator", "list", "-a", ACME, "--json"))).stdout)
    found: dict[str, list[tuple[str, str | None]]] = {}
    for row in rows:
        found.setdefault(row["user"], []).append((row["status"], row["profile"]))
    return found


def offer(cli: Cli, *extra: str) -> None:
    ok(cli(*as_(OWNER, "account", "transfer", ACME, BEA, *extra)))


# -- the offer ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "recipient",
    [CAIO, ZED, "nobody@example.com"],
    ids=["pending-invitee", "stranger", "unknown-address"],
)
def test_offer_goes_only_to_an_active_collaborator(
    cli: Cli, team: str, db_path: Path, recipient: str
) -> None:
    refused(
        cli, db_path, 4, *as_(OWNER, "account", "transfer", ACME, recipient), hint="wait for them"
    )


def test_offer_to_a_removed_or_ended_collaborator(
    cli: Cli, team: str, db_path: Path, clock: FakeClock
) -> None:
    ok(cli("collaborator", "set-access-until", DORA, "1h"))
    clock.advance(hours=2)
    refused(cli, db_path, 4, *as_(OWNER, "account", "transfer", ACME, DORA), hint="invite")
    ok(cli("collaborator", "remove", BEA))
    refused(cli, db_path, 4, *as_(OWNER, "account", "transfer", ACME, BEA), hint="invite")


def test_offer_to_the_owner_themself(cli: Cli, team: str, db_path: Path) -> None:
    refused(cli, db_path, 4, *as_(OWNER, "account", "transfer", ACME, OWNER.upper()))


def test_only_the_owner_offers(cli: Cli, team: str, db_path: Path) -> None:
    refused(cli, db_path, 5, *as_(BEA, "account", "transfer", ACME, DORA))  # a collaborator
    hidden(cli, db_path, ACME, *as_(ZED, "account", "transfer", ACME, BEA))  # an outsider
    hidden(cli, db_path, ACME, *as_(CAIO, "account", "transfer", ACME, BEA))  # still pending
    hidden(cli, db_path, "no-such", *as_(OWNER, "account", "transfer", "no-such", BEA))


def test_keep_as_must_name_a_profile(cli: Cli, team: str, db_path: Path) -> None:
    refused(cli, db_path, 3, *as_(OWNER, "account", "transfer", ACME, BEA, "--keep-as", "nope"))


def test_one_open_offer_per_account(cli: Cli, team: str, db_path: Path) -> None:
    offer(cli)
    refused(cli, db_path, 4, *as_(OWNER, "account", "transfer", ACME, DORA), hint="cancel-transfer")
    refused(cli, db_path, 4, *as_(OWNER, "account", "transfer", ACME, BEA))  # even the same one


def test_the_offer_is_shown_to_the_owner_and_the_recipient_only(
    cli: Cli, team: str, clock: FakeClock
) -> None:
    assert show(cli)["transfer"] is None
    offered_at = "2026-11-02T09:00:00Z"
    offer(cli, "--keep-as", "soporte")
    expected = {"to": BEA, "offered_at": offered_at, "expires_at": "2026-11-09T09:00:00Z"}
    for who in (OWNER, BEA):
        transfer = show(cli, who)["transfer"]
        assert {k: transfer[k] for k in ("to", "offered_at", "expires_at")} == expected
    assert show(cli, DORA)["transfer"] is None  # another collaborator does not see it
    table = ok(cli(*as_(OWNER, "account", "show", ACME))).stdout
    assert f"offered to {BEA}" in table and "stays as soporte" in table
    assert "transfer" not in ok(cli(*as_(DORA, "account", "show", ACME))).stdout
    listed = json.loads(ok(cli(*as_(BEA, "account", "list", "--json"))).stdout)
    assert listed[0]["transfer"]["to"] == BEA


# -- acceptance ----------------------------------------------------------------------------


def test_accept_makes_the_recipient_the_owner_and_the_old_owner_leaves(
    cli: Cli, team: str, db_path: Path
) -> None:
    before = show(cli)
    offer(cli)
    ok(cli(*as_(BEA, "account", "accept-transfer", ACME)))
    after = show(cli, BEA)
    assert after["owner"] == BEA and after["role"] == "owner" and after["transfer"] is None
    # account data, tax ID and profiles stay
    for field in ("name", "tax_id", "country", "legal_entity", "profiles"):
        assert after[field] == before[field], field
    # the recipient's membership ended as revoked, history kept; the old owner has none
    rows = members(cli, BEA)
    assert rows[BEA] == [("revoked", "soporte")]
    assert OWNER not in rows
    # every rule that says "the owner" follows the new one
    hidden(cli, db_path, ACME, *as_(OWNER, "account", "show", ACME))
    hidden(cli, db_path, ACME, *as_(OWNER, "invite", ZED, "--profile", "soporte", "-a", ACME))
    who = json.loads(
        ok(cli(*as_(BEA, "who-can", "account.ownership", "-a", ACME, "--json"))).stdout
    )
    assert who == [{"user": BEA, "account": ACME, "role": "owner", "reason": "owner"}]
    grid = json.loads(ok(cli(*as_(BEA, "matrix", "-a", ACME, "--json"))).stdout)
    assert grid["people"][0] == {"user": BEA, "role": "owner", "status": "owner"}
    assert OWNER not in grid["grants"]
    mine = json.loads(ok(cli(*as_(BEA, "whoami", "--json"))).stdout)
    assert [(a["slug"], a["role"]) for a in mine["accounts"]] == [(ACME, "owner")]
    can = json.loads(ok(cli(*as_(BEA, "can", BEA, "account.bank", "-a", ACME, "--json"))).stdout)
    assert can["results"][0]["reason"] == "owner"
    old = ok(cli(*as_(BEA, "can", OWNER, "account.bank", "-a", ACME, "--json")), 1)
    assert json.loads(old.stdout)["results"][0]["reason"] == "owner-only"
    old = ok(cli(*as_(BEA, "can", OWNER, "products.view", "-a", ACME, "--json")), 1)
    assert json.loads(old.stdout)["results"][0]["reason"] == "not-a-collaborator"
    # the new owner manages the team
    ok(cli(*as_(BEA, "invite", ZED, "--profile", "tecnico", "-a", ACME)))
    # one audit row per step
    tail = actions(db_path)[-3:]
    assert tail == ["account.transfer_offer", "account.transfer_accept", "invitation.create"]


def test_keep_as_leaves_the_old_owner_an_active_collaborator(
    cli: Cli, team: str, db_path: Path
) -> None:
    ok(cli(*as_(OWNER, "use", ACME)))
    offer(cli, "--keep-as", "tecnico")
    ok(cli(*as_(BEA, "account", "accept-transfer", ACME)))
    # the old owner's current account keeps working, now as a collaborator
    mine = json.loads(ok(cli(*as_(OWNER, "whoami", "--json"))).stdout)
    assert [(a["slug"], a["role"], a["current"]) for a in mine["accounts"]] == [
        (ACME, "tecnico", True)
    ]
    assert members(cli, OWNER)[OWNER] == [("active", "tecnico")]  # no -a: the current account
    assert show(cli)["tax_id"] is None  # account data is the owner's
    ok(cli(*as_(OWNER, "can", OWNER, "tools.listboss")))
    ok(cli(*as_(OWNER, "can", OWNER, "account.ownership")), 1)
    refused(cli, db_path, 5, *as_(OWNER, "invite", ZED, "--profile", "soporte"))
    refused(cli, db_path, 5, *as_(OWNER, "account", "transfer", ACME, DORA))


def test_ownership_can_go_back_and_history_stays(cli: Cli, team: str) -> None:
    offer(cli, "--keep-as", "tecnico")
    ok(cli(*as_(BEA, "account", "accept-transfer", ACME)))
    ok(cli(*as_(BEA, "account", "transfer", ACME, OWNER, "--keep-as", "soporte")))
    ok(cli(*as_(OWNER, "account", "accept-transfer", ACME)))
    assert show(cli)["owner"] == OWNER
    rows = members(cli, OWNER)
    assert rows[OWNER] == [("revoked", "tecnico")]
    assert rows[BEA] == [("revoked", "soporte"), ("active", "soporte")]


def test_accept_by_anyone_but_the_recipient(cli: Cli, team: str, db_path: Path) -> None:
    offer(cli)
    # a collaborator who is not the recipient: 3 ("no transfer offered to you"), never 5,
    # which would tell them that an offer to someone else exists
    refused(cli, db_path, 3, *as_(DORA, "account", "accept-transfer", ACME))
    refused(cli, db_path, 3, *as_(OWNER, "account", "accept-transfer", ACME))
    # outsiders, a pending invitee included, get the missing account's answer
    for outsider in (ZED, CAIO):
        hidden(cli, db_path, ACME, *as_(outsider, "account", "accept-transfer", ACME))
    hidden(cli, db_path, "no-such", *as_(BEA, "account", "accept-transfer", "no-such"))
    # without an offer at all, a collaborator gets the very same answer
    ok(cli(*as_(OWNER, "account", "cancel-transfer", ACME)))
    same = refused(cli, db_path, 3, *as_(DORA, "account", "accept-transfer", ACME))
    assert "no transfer of acme-cursos is offered to you" in same.stderr


def test_accept_twice(cli: Cli, team: str, db_path: Path) -> None:
    offer(cli)
    ok(cli(*as_(BEA, "account", "accept-transfer", ACME)))
    refused(cli, db_path, 4, *as_(BEA, "account", "accept-transfer", ACME))


def test_accept_after_cancel(cli: Cli, team: str, db_path: Path) -> None:
    offer(cli)
    ok(cli(*as_(OWNER, "account", "cancel-transfer", ACME)))
    assert show(cli)["transfer"] is None and show(cli, BEA)["transfer"] is None
    error = refused(cli, db_path, 4, *as_(BEA, "account", "accept-transfer", ACME)).stderr
    assert "cancelled" in error
    assert show(cli)["owner"] == OWNER
    assert actions(db_path)[-2:] == ["account.transfer_offer", "account.transfer_cancel"]


def test_accept_after_expiry(cli: Cli, team: str, db_path: Path, clock: FakeClock) -> None:
    offer(cli)
    clock.advance(days=7, seconds=-1)
    assert show(cli)["transfer"] is not None  # still open, one second before
    clock.advance(seconds=1)
    assert show(cli)["transfer"] is None  # judged at the read, nothing written
    refused(cli, db_path, 4, *as_(BEA, "account", "accept-transfer", ACME), hint="offer it again")
    refused(cli, db_path, 3, *as_(OWNER, "account", "cancel-transfer", ACME))
    # an expired offer no longer blocks a new one
    ok(cli(*as_(OWNER, "account", "transfer", ACME, DORA)))
    # the write that found it expired recorded that once (as for caio's invitation)
    assert sorted(actions(db_path)[-3:]) == [
        "account.transfer_expire",
        "account.transfer_offer",
        "invitation.expire",
    ]
    ok(cli(*as_(DORA, "account", "accept-transfer", ACME)))
    assert show(cli, DORA)["owner"] == DORA


def test_the_recipient_must_still_be_active_at_acceptance(
    cli: Cli, team: str, db_path: Path, clock: FakeClock
) -> None:
    offer(cli)
    ok(cli("collaborator", "set-access-until", BEA, "1h"))
    clock.advance(hours=2)
    refused(cli, db_path, 4, *as_(BEA, "account", "accept-transfer", ACME))
    ok(cli("collaborator", "remove", BEA))
    refused(cli, db_path, 4, *as_(BEA, "account", "accept-transfer", ACME))


def test_keep_as_profile_deleted_before_acceptance(cli: Cli, team: str, db_path: Path) -> None:
    ok(cli("profile", "create", "ventas", "--perm", "products.view"))
    offer(cli, "--keep-as", "ventas")
    ok(cli("profile", "delete", "ventas"))
    refused(cli, db_path, 4, *as_(BEA, "account", "accept-transfer", ACME), hint="cancel-transfer")


def test_cancel(cli: Cli, team: str, db_path: Path) -> None:
    refused(cli, db_path, 3, *as_(OWNER, "account", "cancel-transfer", ACME))  # nothing open
    offer(cli)
    refused(cli, db_path, 5, *as_(BEA, "account", "cancel-transfer", ACME))  # the recipient
    refused(cli, db_path, 5, *as_(DORA, "account", "cancel-transfer", ACME))
    hidden(cli, db_path, ACME, *as_(ZED, "account", "cancel-transfer", ACME))
    ok(cli(*as_(OWNER, "account", "cancel-transfer", ACME)))
    refused(cli, db_path, 3, *as_(OWNER, "account", "cancel-transfer", ACME))


# -- the schema holds "one owner, who is no member of their own account" -------------------


def test_the_schema_refuses_an_owner_with_a_live_membership(
    cli: Cli, team: str, db_path: Path
) -> None:
    before = dump(db_path)
    ids = dict(raw(db_path, "SELECT email, id FROM users")[0])
    ((acct, profile),) = raw(
        db_path, "SELECT a.id, p.id FROM accounts a JOIN profiles p ON p.account_id = a.id LIMIT 1"
    )[0]
    db_refuses(
        db_path,
        (
            "INSERT INTO memberships (account_id, user_id, profile_id, status, invited_at,"
            " expires_at) VALUES (?, ?, ?, 'active', 'x', 'x')",
            (acct, ids[OWNER], profile),
        ),
        match="owner",
    )
    db_refuses(  # BEA is still active
        db_path, ("UPDATE accounts SET owner_id = ? WHERE id = ?", (ids[BEA], acct)), match="owner"
    )
    offer = (
        "INSERT INTO transfers (account_id, from_id, to_id, status, offered_at,"
        " expires_at) VALUES (?, ?, ?, 'open', 'x', 'y')"
    )
    db_refuses(  # one open offer per account: the second of two, in one transaction
        db_path,
        "BEGIN",
        (offer, (acct, ids[OWNER], ids[BEA])),
        (offer, (acct, ids[OWNER], ids[DORA])),
    )
    assert dump(db_path) == before
