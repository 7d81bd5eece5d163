"""The bound engine (tests/bound.py) is what it says: every line a test runs as a
registered user runs connected as that user's own bound team login, so the suites that
name it prove that colabctl needs nothing more than `store bind` grants.

Engines: bound only: it is about the bound engine itself."""

from __future__ import annotations

import pytest
from support import ACME, BOB, OWNER, Cli, audit_rows, ok

from colabctl.store.engine import Target

pytestmark = pytest.mark.engines("bound")


def test_every_actor_acts_through_its_own_login(
    cli: Cli, legal_account: str, db_path: Target
) -> None:
    ok(cli("--as", BOB, "login", BOB))  # registered by the store owner: no login yet
    ok(cli("--as", OWNER, "invite", BOB, "--profile", "soporte", "-a", ACME))
    ok(cli("--as", BOB, "accept", ACME))
    rows = audit_rows(db_path)
    invite, accept = rows[-2:]
    assert (invite["action"], invite["actor"]) == ("invitation.create", OWNER)
    assert (accept["action"], accept["actor"]) == ("invitation.accept", BOB)
    assert invite["db_login"].startswith("bd_") and accept["db_login"].startswith("bd_")
    assert invite["db_login"] != accept["db_login"]
    # each login was bound, by the store owner, to its user
    bound = {r["target"]: r["details"] for r in rows if r["action"] == "store.bind"}
    assert OWNER in bound[invite["db_login"]] and BOB in bound[accept["db_login"]]
    assert all(r["db_login"] == "postgres" for r in rows if r["action"] == "store.bind")
