"""Every way colabctl changes the store replays cleanly (docs/storage.md, "What audit
verify checks"): for each kind of change, do it through the CLI and `audit verify` is
intact, state checked from seq 1; then change one column of what it wrote behind
colabctl's back, as the file's owner or the server's superuser would (plain SQL), and
verify exits 1 naming it. On both engines."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support import (
    ACME,
    BOB,
    CARLA,
    CNPJ,
    OTHER_CNPJ,
    OWNER,
    Cli,
    FakeClock,
    as_owner,
    audit_rows,
    drop_guards,
    ok,
    raw,
)

from colabctl.store.engine import Target

pytestmark = pytest.mark.engines("sqlite", "postgres")

DAN = "dan@example.com"
EVE = "eve@example.com"


# -- verify as a script reads it ----------------------------------------------------------------


def verdict(cli: Cli, *args: str) -> tuple[int, dict[str, Any], list[str]]:
    """`audit verify --json` and the text form: the same exit code, no traceback."""
    as_json, text = cli(*args, "audit", "verify", "--json"), cli(*args, "audit", "verify")
    assert as_json.exit_code == text.exit_code, (as_json.stdout, text.stdout)
    assert "Traceback" not in as_json.stderr + text.stderr
    return as_json.exit_code, json.loads(as_json.stdout), text.stdout.splitlines()


def intact(cli: Cli, *args: str) -> dict[str, Any]:
    code, found, lines = verdict(cli, *args)
    assert code == 0, found
    assert found["intact"] is True and found["breaks"] == [], found
    assert found["state_from"] == 1 and found["state_skipped"] is None
    assert "state checked from seq 1" in lines
    return found


def names(cli: Cli, needle: str, *args: str) -> dict[str, Any]:
    """Verify exits 1 with the chain intact and a break whose message holds NEEDLE, in the
    JSON and on a `broken: ` line of the text."""
    code, found, lines = verdict(cli, *args)
    assert code == 1, found
    assert (found["intact"], found["first_bad_seq"], found["problem"]) == (False, None, None)
    messages = [b["message"] for b in found["breaks"]]
    assert any(needle in m for m in messages), (needle, messages)
    assert any(line.startswith("broken: ") and needle in line for line in lines), lines
    return found


def tamper(db: Target, *statements: str) -> None:
    """Plain SQL on the store, past colabctl (SQLite's dialect; translated on PostgreSQL)."""
    raw(db, *statements)


def user(email: str) -> str:
    return f"(SELECT id FROM users WHERE email = '{email}')"


def profile(name: str, slug: str = ACME) -> str:
    return (
        f"(SELECT p.id FROM profiles p JOIN accounts a ON a.id = p.account_id"
        f" WHERE a.slug = '{slug}' AND p.name = '{name}')"
    )


def membership(email: str) -> str:
    """The latest membership of EMAIL in acme-cursos."""
    return (
        f"(SELECT max(id) FROM memberships WHERE user_id = {user(email)}"
        f" AND account_id = (SELECT id FROM accounts WHERE slug = '{ACME}'))"
    )


def set_membership(email: str, assignment: str) -> str:
    """UPDATE of EMAIL's latest membership of acme-cursos."""
    return f"UPDATE memberships SET {assignment} WHERE id = {membership(email)}"


def run(cli: Cli, *args: str) -> None:
    ok(cli(*args))


# -- the changes -----------------------------------------------------------------------------------

Steps = Callable[[Cli, FakeClock, Target, Path], None]


@dataclass(frozen=True)
class Mutation:
    steps: Steps
    tamper: tuple[str, ...]  # one column of what the steps wrote
    named: str  # what verify then says


def _bob_active(cli: Cli) -> None:
    run(cli, *as_owner("invite", BOB, "--profile", "soporte", "-a", ACME))
    run(cli, "--as", BOB, "accept", ACME)


def _offer(cli: Cli, *extra: str) -> None:
    _bob_active(cli)
    run(cli, *as_owner("account", "transfer", ACME, BOB, *extra))


def _expired_invitation(cli: Cli, clock: FakeClock) -> None:
    run(cli, *as_owner("invite", BOB, "--profile", "soporte", "-a", ACME, "--expires-in", "1d"))
    clock.advance(days=2)
    run(cli, "login", CARLA)  # any write records the expiry first
    run(cli, "login", OWNER)


def _ack(cli: Cli) -> None:
    found = json.loads(ok(cli(*as_owner("review", "-a", ACME, "--json"))).stdout)["findings"]
    unused = next(f for f in found if f["kind"] == "unused-profile")
    run(cli, *as_owner("review", "ack", unused["id"], "--reason", "kept for later", "-a", ACME))


def _reassign(cli: Cli, clock: FakeClock, db: Target, tmp: Path) -> None:
    _bob_active(cli)
    run(cli, *as_owner("profile", "create", "financiero", "--preset", "financiero"))
    run(cli, *as_owner("profile", "delete", "soporte", "--reassign", "financiero"))


def _reassign_the_assigned(cli: Cli, clock: FakeClock, db: Target, tmp: Path) -> None:
    """soporte's holder, and two people still assigned to it: an expired invitation and an
    ended access; and a declined one (history). --reassign moves the first three."""
    _bob_active(cli)
    run(cli, *as_owner("invite", CARLA, "--profile", "soporte", "--expires-in", "1d"))
    run(cli, *as_owner("invite", DAN, "--profile", "soporte", "--access-until", "1d"))
    run(cli, "--as", DAN, "accept", ACME)
    run(cli, *as_owner("invite", EVE, "--profile", "soporte"))
    run(cli, "--as", EVE, "decline", ACME)
    clock.advance(days=2)
    run(cli, *as_owner("profile", "delete", "soporte", "--reassign", "tecnico"))


def _decline(cli: Cli, clock: FakeClock, db: Target, tmp: Path) -> None:
    run(cli, *as_owner("invite", BOB, "--profile", "soporte"))
    run(cli, "--as", BOB, "decline", ACME)


def _declined_then_deleted(cli: Cli, clock: FakeClock, db: Target, tmp: Path) -> None:
    """bob declined soporte, then soporte was deleted: his row keeps its name."""
    _decline(cli, clock, db, tmp)
    run(cli, *as_owner("profile", "delete", "soporte"))


def _set_profile(cli: Cli, clock: FakeClock, db: Target, tmp: Path) -> None:
    _bob_active(cli)
    run(cli, *as_owner("collaborator", "set-profile", BOB, "tecnico"))


def _remove(cli: Cli, clock: FakeClock, db: Target, tmp: Path) -> None:
    _bob_active(cli)
    run(cli, *as_owner("collaborator", "remove", BOB))


def _set_access_until(cli: Cli, clock: FakeClock, db: Target, tmp: Path) -> None:
    _bob_active(cli)
    run(cli, *as_owner("collaborator", "set-access-until", BOB, "2027-03-31"))


def _renew(cli: Cli, clock: FakeClock, db: Target, tmp: Path) -> None:
    _expired_invitation(cli, clock)
    run(cli, *as_owner("invitation", "renew", BOB, "--expires-in", "3d"))


def _cancel(cli: Cli, clock: FakeClock, db: Target, tmp: Path) -> None:
    _offer(cli)
    run(cli, *as_owner("account", "cancel-transfer", ACME))


def _offer_expires(cli: Cli, clock: FakeClock, db: Target, tmp: Path) -> None:
    _offer(cli)
    clock.advance(days=8)
    run(cli, "login", CARLA)  # any write records the expiry first


def _accept(*extra: str) -> Steps:
    def steps(cli: Cli, clock: FakeClock, db: Target, tmp: Path) -> None:
        _offer(cli, *extra)
        run(cli, "--as", BOB, "account", "accept-transfer", ACME)

    return steps


def _acked(cli: Cli, clock: FakeClock, db: Target, tmp: Path) -> None:
    _ack(cli)
    drop_guards(db, "review_acks_no_update")  # acks are history: the tamperer drops it


TEAM = f"""version = 1

[accounts.{ACME}]
name = "Acme Cursos Renamed"
owner = "{OWNER}"
tax_id = {{ country = "BR", number = "{OTHER_CNPJ}" }}

[accounts.{ACME}.profiles.soporte]
preset = "soporte"
permissions = ["withdrawal.withdraw"]

[accounts.{ACME}.profiles.tecnico]
preset = "tecnico"

[accounts.{ACME}.profiles.ventas]
permissions = ["purchases.search"]
description = "Ventas"

[accounts.{ACME}.collaborators]
"{DAN}" = {{ profile = "ventas", access_until = 2027-03-31 }}

[accounts.beta-digital]
name = "Beta Digital"
tax_id = {{ country = "ES", number = "B58378431" }}

[accounts.beta-digital.profiles.tecnico]
preset = "tecnico"
"""


def _apply(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "team.toml"
    path.write_text(TEAM, encoding="utf-8")
    run(cli, *as_owner("apply", "-f", str(path), "--yes"))


MUTATIONS: dict[str, Mutation] = {
    "login creates a user": Mutation(
        lambda cli, clock, db, tmp: run(cli, "login", DAN, "--name", "Dan"),
        (f"UPDATE users SET name = 'Daniel' WHERE email = '{DAN}'",),
        f'{DAN}\'s name is "Daniel" in the store, "Dan" in the log',
    ),
    "login renames a user": Mutation(
        lambda cli, clock, db, tmp: run(cli, "login", OWNER, "--name", "Ana S."),
        (f"UPDATE users SET name = 'Ana Souza' WHERE email = '{OWNER}'",),
        f'{OWNER}\'s name is "Ana Souza" in the store, "Ana S." in the log',
    ),
    "a user's identity key": Mutation(
        lambda cli, clock, db, tmp: run(cli, "login", DAN),
        (f"UPDATE users SET email_key = 'x{DAN}' WHERE email = '{DAN}'",),
        f"user {DAN}, whom the log creates, is not in the store",
    ),
    "account create": Mutation(
        lambda cli, clock, db, tmp: run(cli, *as_owner("account", "create", "beta", "--name", "B")),
        ("UPDATE accounts SET name = 'Beta!' WHERE slug = 'beta'",),
        'beta: its name is "Beta!" in the store, "B" in the log',
    ),
    "account create with a tax ID": Mutation(
        lambda cli, clock, db, tmp: run(
            cli,
            *as_owner(
                "account", "create", "beta", "--name", "B", "--tax-id", CNPJ, "--country", "BR"
            ),
        ),
        ("UPDATE accounts SET tax_id = '11444777000161' WHERE slug = 'beta'",),
        "beta: its tax ID in the store is not the one the log gives",
    ),
    "account set-tax-id": Mutation(
        lambda cli, clock, db, tmp: run(
            cli, *as_owner("account", "set-tax-id", ACME, OTHER_CNPJ, "--country", "BR")
        ),
        (f"UPDATE accounts SET tax_country = 'AR' WHERE slug = '{ACME}'",),
        f"{ACME}: its tax country in the store is not the one the log gives",
    ),
    "profile create from a preset": Mutation(
        lambda cli, clock, db, tmp: run(
            cli, *as_owner("profile", "create", "financiero", "--preset", "financiero")
        ),
        (f"UPDATE profiles SET description = 'x' WHERE id = {profile('financiero')}",),
        f'{ACME}: profile financiero\'s description is "x" in the store',
    ),
    "profile create with permissions": Mutation(
        lambda cli, clock, db, tmp: run(
            cli, *as_owner("profile", "create", "ventas", "--perm", "purchases.search")
        ),
        (
            "UPDATE profile_permissions SET permission = 'withdrawal.withdraw'"
            f" WHERE profile_id = {profile('ventas')}",
        ),
        f"{ACME}: profile ventas holds withdrawal.withdraw, which no audit row gave it",
    ),
    "profile edit": Mutation(
        lambda cli, clock, db, tmp: run(
            cli,
            *as_owner(
                "profile", "edit", "soporte", "--add", "tools.listboss", "--description", "d"
            ),
        ),
        (
            "DELETE FROM profile_permissions WHERE permission = 'tools.listboss'"
            f" AND profile_id = {profile('soporte')}",
        ),
        f"{ACME}: profile soporte lacks tools.listboss, which the log gives it",
    ),
    "profile delete": Mutation(
        lambda cli, clock, db, tmp: run(cli, *as_owner("profile", "delete", "tecnico")),
        (
            "INSERT INTO profiles (account_id, name, description, created_at)"
            f" SELECT id, 'tecnico', '', 'x' FROM accounts WHERE slug = '{ACME}'",
        ),
        f"{ACME}: a profile tecnico that no audit row created",
    ),
    "profile delete --reassign": Mutation(
        _reassign,
        (set_membership(BOB, f"profile_id = {profile('tecnico')}"),),
        f"{ACME}: {BOB} is tecnico in the store, financiero in the log",
    ),
    "profile delete --reassign moves the assigned too": Mutation(
        _reassign_the_assigned,
        (set_membership(CARLA, "profile_id = NULL"),),
        f"{ACME}: {CARLA} is without a profile in the store, tecnico in the log",
    ),
    "profile delete keeps the name on history rows": Mutation(
        _declined_then_deleted,
        (set_membership(BOB, "profile_name = 'tecnico'"),),
        f"{ACME}: {BOB} is tecnico in the store, soporte in the log",
    ),
    "profile delete: a kept name taken off": Mutation(
        _declined_then_deleted,
        (set_membership(BOB, "profile_name = NULL"),),
        f"{ACME}: {BOB} is without a profile in the store, soporte in the log",
    ),
    "profile delete --reassign keeps the name on history rows": Mutation(
        _reassign_the_assigned,
        (set_membership(EVE, "profile_name = 'ventas'"),),
        f"{ACME}: {EVE} is ventas in the store, soporte in the log",
    ),
    "invite a new user": Mutation(
        lambda cli, clock, db, tmp: run(cli, *as_owner("invite", DAN, "--profile", "soporte")),
        (set_membership(DAN, "expires_at = '2099-01-01T00:00:00Z'"),),
        f"{DAN}'s invitation expires at 2099-01-01T00:00:00Z in the store",
    ),
    "invite with access until": Mutation(
        lambda cli, clock, db, tmp: run(
            cli, *as_owner("invite", DAN, "--profile", "soporte", "--access-until", "2027-03-31")
        ),
        (set_membership(DAN, "access_until = NULL"),),
        f"{DAN} has access that does not end in the store, until 2027-03-31T23:59:59Z in the log",
    ),
    "accept": Mutation(
        lambda cli, clock, db, tmp: _bob_active(cli),
        (set_membership(BOB, "status = 'pending'"),),
        f"{BOB}'s membership is pending in the store, active in the log",
    ),
    "decline": Mutation(
        _decline,
        (set_membership(BOB, "status = 'revoked'"),),
        f"{BOB}'s membership is revoked in the store, declined in the log",
    ),
    "collaborator set-profile": Mutation(
        _set_profile,
        (set_membership(BOB, f"profile_id = {profile('soporte')}"),),
        f"{ACME}: {BOB} is soporte in the store, tecnico in the log",
    ),
    "collaborator remove": Mutation(
        _remove,
        (set_membership(BOB, "status = 'active'"),),
        f"{BOB}'s membership is active in the store, revoked in the log",
    ),
    "collaborator set-access-until": Mutation(
        _set_access_until,
        (
            "UPDATE memberships SET access_until = '2099-12-31T23:59:59Z'"
            f" WHERE id = {membership(BOB)}",
        ),
        f"{BOB} has access until 2099-12-31T23:59:59Z in the store",
    ),
    "invitation renew": Mutation(
        _renew,
        (set_membership(BOB, "expires_at = '2099-01-01T00:00:00Z'"),),
        f"{BOB}'s invitation expires at 2099-01-01T00:00:00Z in the store",
    ),
    "an invitation expires": Mutation(
        lambda cli, clock, db, tmp: _expired_invitation(cli, clock),
        (set_membership(BOB, "expires_at = '2099-01-01T00:00:00Z'"),),
        f"{BOB}'s invitation expires at 2099-01-01T00:00:00Z in the store",
    ),
    "transfer offer": Mutation(
        lambda cli, clock, db, tmp: _offer(cli, "--keep-as", "soporte"),
        ("UPDATE transfers SET keep_as = 'tecnico'",),
        f"{ACME}: the transfer offer to {BOB} has keep-as profile tecnico in the store,"
        " soporte in the log",
    ),
    "transfer cancel": Mutation(
        _cancel,
        ("UPDATE transfers SET status = 'expired'",),
        f"{ACME}: the transfer offer to {BOB} has status expired in the store,"
        " cancelled in the log",
    ),
    "an offer expires": Mutation(
        _offer_expires,
        ("UPDATE transfers SET expires_at = '2099-01-01T00:00:00Z'",),
        f"{ACME}: the transfer offer to {BOB} has expiry 2099-01-01T00:00:00Z in the store",
    ),
    "transfer accept": Mutation(
        _accept(),
        (f"UPDATE accounts SET owner_id = {user(OWNER)} WHERE slug = '{ACME}'",),
        f"{ACME}: its owner is {OWNER} in the store, {BOB} in the log",
    ),
    "transfer accept --keep-as": Mutation(
        _accept("--keep-as", "soporte"),
        (set_membership(OWNER, f"profile_id = {profile('tecnico')}"),),
        f"{ACME}: {OWNER} is tecnico in the store, soporte in the log",
    ),
    "review ack": Mutation(
        _acked,
        ("UPDATE review_acks SET fingerprint = 'forged'",),
        'has fingerprint "forged" in the store',
    ),
    "apply of a team file": Mutation(
        lambda cli, clock, db, tmp: _apply(cli, tmp),
        (set_membership(DAN, "access_until = NULL"),),
        f"{DAN} has access that does not end in the store, until 2027-03-31T23:59:59Z in the log",
    ),
    "apply renames an account": Mutation(
        lambda cli, clock, db, tmp: _apply(cli, tmp),
        (f"UPDATE accounts SET name = 'Acme Cursos' WHERE slug = '{ACME}'",),
        f'{ACME}: its name is "Acme Cursos" in the store, "Acme Cursos Renamed" in the log',
    ),
    "apply creates an account": Mutation(
        lambda cli, clock, db, tmp: _apply(cli, tmp),
        ("UPDATE accounts SET tax_id = 'B00000000' WHERE slug = 'beta-digital'",),
        "beta-digital: its tax ID in the store is not the one the log gives",
    ),
    "apply changes a profile": Mutation(
        lambda cli, clock, db, tmp: _apply(cli, tmp),
        (
            "DELETE FROM profile_permissions WHERE permission = 'withdrawal.withdraw'"
            f" AND profile_id = {profile('soporte')}",
        ),
        f"{ACME}: profile soporte lacks withdrawal.withdraw, which the log gives it",
    ),
}


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_each_change_replays_and_a_column_changed_behind_it_is_named(
    cli: Cli, clock: FakeClock, legal_account: str, db_path: Target, tmp_path: Path, name: str
) -> None:
    mutation = MUTATIONS[name]
    mutation.steps(cli, clock, db_path, tmp_path)
    intact(cli)
    tamper(db_path, *mutation.tamper)
    names(cli, mutation.named)


# -- the reproductions of what verify missed or mistook ------------------------------------------


def test_withdraw_granted_to_soporte_in_sql_is_caught(
    cli: Cli, legal_account: str, db_path: Target
) -> None:
    """The support agent given withdrawal by hand: no audit row was touched, the chain is
    whole, and the access in force is not what the log says was done."""
    _bob_active(cli)
    intact(cli)
    tamper(
        db_path,
        "INSERT INTO profile_permissions (profile_id, permission)"
        f" VALUES ({profile('soporte')}, 'withdrawal.withdraw')",
    )
    found = names(
        cli, f"{ACME}: profile soporte holds withdrawal.withdraw, which no audit row gave it"
    )
    (only,) = found["breaks"]
    assert only == {
        "kind": "permission",
        "account": ACME,
        "subject": "soporte",
        "store": "withdrawal.withdraw",
        "log": None,
        "message": f"{ACME}: profile soporte holds withdrawal.withdraw, which no audit row gave it",
    }


def test_a_handover_that_keeps_the_owner_verifies(cli: Cli, legal_account: str) -> None:
    """`account transfer --keep-as` and its acceptance give the former owner a new
    membership: the store holds one more membership than invitations, which a count of
    creating rows took for a missing row."""
    _offer(cli, "--keep-as", "soporte")
    run(cli, "--as", BOB, "account", "accept-transfer", ACME)
    intact(cli)


def test_a_tax_id_break_shows_neither_number(cli: Cli, legal_account: str, db_path: Target) -> None:
    tamper(db_path, f"UPDATE accounts SET tax_id = '11444777000161' WHERE slug = '{ACME}'")
    found = names(cli, "its tax ID in the store is not the one the log gives")
    (tax,) = [b for b in found["breaks"] if b["subject"] == "tax_id"]
    assert (tax["store"], tax["log"]) == (None, None)
    text = json.dumps(found) + "\n".join(verdict(cli)[2])
    for digits in ("11444777000161", "11.444.777", "11222333000181", "11.222.333"):
        assert digits not in text


def test_time_decides_expiry_whatever_the_stored_status_says(
    cli: Cli, clock: FakeClock, legal_account: str, db_path: Target
) -> None:
    """An invitation past its expiry is expired whether or not a write has recorded it:
    a stored `pending` then matches the log's `expired` (and the other way round), while
    before its expiry the two differ."""
    _expired_invitation(cli, clock)
    tamper(db_path, set_membership(BOB, "status = 'pending'"))
    intact(cli)
    run(cli, *as_owner("invite", CARLA, "--profile", "soporte", "--expires-in", "1d"))
    tamper(db_path, set_membership(CARLA, "status = 'expired'"))
    names(cli, f"{CARLA}'s membership is expired in the store, pending in the log")


def test_more_than_twenty_breaks_are_counted_in_text_and_all_listed_in_json(
    cli: Cli, legal_account: str, db_path: Target
) -> None:
    """soporte's permissions swapped for 25 others by hand: a break for each it lost and
    each it gained."""
    from colabctl.core.catalog import catalog

    others = [p.id for p in catalog().permissions if not p.owner_only][-25:]
    soporte = profile("soporte")
    tamper(
        db_path,
        f"DELETE FROM profile_permissions WHERE profile_id = {soporte}",
        *(
            f"INSERT INTO profile_permissions (profile_id, permission) VALUES ({soporte}, '{p}')"
            for p in others
        ),
    )
    code, found, lines = verdict(cli)
    assert code == 1
    total = len(found["breaks"])
    assert total > 20
    broken = [line for line in lines if line.startswith("broken: ")]
    assert len(broken) == 20
    assert f"... and {total - 20} more" in lines
    assert lines[-2:][0] == "state checked from seq 1"


# -- bindings, copies, the demo -----------------------------------------------------------------


@pytest.mark.engines("postgres")
def test_store_bind_and_unbind_replay(
    cli: Cli, legal_account: str, db_path: Target, pg_admin: Any
) -> None:
    import secrets

    login = f"replay_{secrets.token_hex(4)}"
    pg_admin.execute(f"CREATE ROLE {login} LOGIN")
    try:
        run(cli, "login", CARLA)
        run(cli, "login", BOB)
        run(cli, "store", "bind", login, BOB)
        intact(cli)
        tamper(db_path, f"UPDATE store_bindings SET user_id = {user(CARLA)}")
        names(cli, f"the login {login} is bound to {CARLA} in the store, {BOB} in the log")
        tamper(db_path, f"UPDATE store_bindings SET user_id = {user(BOB)}")
        run(cli, "store", "unbind", login)
        intact(cli)
        tamper(
            db_path,
            f"INSERT INTO store_bindings (login, user_id, bound_at) VALUES ('{login}',"
            f" {user(BOB)}, 'x')",
        )
        names(cli, f"the login {login} is bound to {BOB}, which no audit row did")
    finally:
        pg_admin.execute(f"DROP ROLE {login}")


def test_a_copy_verifies_like_its_source(
    cli: Cli, legal_account: str, db_path: Target, tmp_path: Path
) -> None:
    _offer(cli, "--keep-as", "soporte")
    run(cli, "--as", BOB, "account", "accept-transfer", ACME)
    copy = tmp_path / "copy.db"
    run(cli, "store", "copy", str(db_path), str(copy))
    intact(cli, "--db", str(copy))
    tamper(copy, f"UPDATE profiles SET description = 'x' WHERE id = {profile('soporte')}")
    names(cli, f'{ACME}: profile soporte\'s description is "x" in the store', "--db", str(copy))


def test_a_copy_of_a_tampered_store_names_the_same_breaks(
    cli: Cli, legal_account: str, db_path: Target, tmp_path: Path
) -> None:
    tamper(db_path, f"UPDATE profiles SET description = 'x' WHERE id = {profile('soporte')}")
    source = names(cli, "profile soporte's description")
    copy = tmp_path / "copy.db"
    run(cli, "store", "copy", str(db_path), str(copy))
    assert (
        names(cli, "profile soporte's description", "--db", str(copy))["breaks"]
        == (source["breaks"])
    )


@pytest.mark.engines("sqlite")  # demo builds a SQLite file
def test_the_demo_replays(cli: Cli, tmp_path: Path) -> None:
    demo = tmp_path / "demo.db"
    run(cli, "demo", "--db", str(demo))
    intact(cli, "--db", str(demo))
    tamper(demo, "UPDATE transfers SET keep_as = 'soporte'")
    names(cli, "beta-digital: the transfer offer to carla.mendes@example.com", "--db", str(demo))


def test_a_forged_row_with_its_hash_right_is_a_row_that_does_not_replay(
    cli: Cli, legal_account: str, db_path: Target
) -> None:
    """A row appended with a correct hash (the head moved with it) that names a profile
    the log never created: the chain holds, the replay says which row does not apply."""
    from colabctl.store.engine import open_for_write

    store = open_for_write(db_path)
    try:
        with store.transaction():
            from colabctl.store import audit

            audit.append_many(
                store.conn,
                [
                    (
                        "2026-11-02T09:00:00Z",
                        OWNER,
                        ACME,
                        "profile.edit",
                        "ghost",
                        {"added": ["withdrawal.withdraw"], "removed": [], "description": None},
                    )
                ],
                db_login=store.db_login,
            )
    finally:
        store.close()
    found = names(cli, "(profile.edit) does not replay: no profile ghost in acme-cursos")
    assert found["breaks"][0]["kind"] == "row"
    assert found["breaks"][0]["subject"].startswith("seq ")


def test_a_profile_delete_row_of_before_assigned_was_written_still_replays(
    cli: Cli, clock: FakeClock, legal_account: str, db_path: Target, tmp_path: Path
) -> None:
    """Rows written before a delete counted the assigned name only the live holders (what
    was moved then): they replay as they did. A row naming someone the profile does not
    have in the log does not replay."""
    from colabctl.store.replay import fold

    _reassign(cli, clock, db_path, tmp_path)
    rows = [
        (r["seq"], r["at"], r["actor"], r["account"], r["action"], r["target"], r["details"])
        for r in audit_rows(db_path)
    ]
    (deleted,) = [i for i, row in enumerate(rows) if row[4] == "profile.delete"]
    details = json.loads(rows[deleted][6])
    assert details == {"reassigned_to": "financiero", "holders": [BOB], "assigned": []}

    def replayed(**changed: Any) -> Any:
        text = json.dumps({**details, **changed}, sort_keys=True, separators=(",", ":"))
        return fold([*rows[:deleted], (*rows[deleted][:6], text), *rows[deleted + 1 :]])

    today = fold(rows)
    del details["assigned"]
    older = replayed()
    assert today.problems == older.problems == []
    assert today.state == older.state
    assert today.state.members[ACME][BOB.lower()][-1][0] == "financiero"
    forged = replayed(holders=[BOB, CARLA])
    assert [(p.action, str(p.why)) for p in forged.problems] == [
        ("profile.delete", f"{CARLA} is not assigned to soporte in the log")
    ]


def test_every_action_colabctl_writes_is_one_replay_knows() -> None:
    """A new action without a replay step would be a break on every store that has one."""
    import re

    from colabctl.store.replay import KNOWN_ACTIONS

    source = Path(__file__).resolve().parents[2] / "src" / "colabctl"
    written = set()
    for path in source.rglob("*.py"):
        text = path.read_text("utf-8")
        written |= set(
            re.findall(
                r'"((?:user|account|profile|invitation|collaborator|review'
                r'|store|demo)\.[a-z_]+)"',
                text,
            )
        )
    written -= {"store.db", "account.data", "account.bank", "account.ownership"}
    assert written <= KNOWN_ACTIONS, written - KNOWN_ACTIONS


def test_a_broken_chain_names_its_first_bad_seq_and_skips_the_state(
    cli: Cli, legal_account: str, db_path: Target
) -> None:
    """Rows that do not hold together describe nothing: the state is not checked, however
    far the tables are from them."""
    drop_guards(db_path, "audit_no_update")
    tamper(
        db_path,
        "UPDATE audit SET target = 'tampered' WHERE seq = 3",
        f"UPDATE profiles SET description = 'x' WHERE id = {profile('soporte')}",
    )
    code, found, lines = verdict(cli)
    assert code == 1
    assert (found["first_bad_seq"], found["problem"]) == (3, "its content does not match its hash")
    assert (found["breaks"], found["state_from"]) == ([], None)
    assert found["state_skipped"] == "chain broken"
    assert lines[0] == "broken at seq 3: its content does not match its hash"
    assert "state not checked (chain broken)" in lines
