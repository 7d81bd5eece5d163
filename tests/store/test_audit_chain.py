"""The audit log (docs/storage.md, "Audit log"): one row per mutation in the mutation's
own transaction, none for a failure or a no-op, `audit log` filters and shape,
append-only triggers, and `audit verify` naming the first bad row of a tampered chain."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from support import (
    ACME,
    BETA,
    BOB,
    CARLA,
    CNPJ,
    ES_CIF,
    OWNER,
    Cli,
    FakeClock,
    as_owner,
    audit_rows,
    db_refuses,
    drop_guards,
    dump,
    exists,
    is_pg,
    preset_ids,
    raw,
    rehash,
    verify,
)

from colabctl.store.engine import Target

pytestmark = pytest.mark.engines("sqlite", "postgres")

TECNICO = preset_ids("tecnico")

AUDIT_KEYS = {"seq", "at", "actor", "account", "action", "target", "details"}


# -- helpers --------------------------------------------------------------------------------


def ok(cli: Cli, *args: str) -> None:
    result = cli(*args)
    assert result.exit_code == 0, (args, result.stdout, result.stderr)


def tamper(db_path: Target, *statements: str, params: tuple[Any, ...] = ()) -> None:
    """Run statements on a raw connection (autocommit), the way a tamperer would."""
    raw(db_path, *((s, params if "?" in s else ()) for s in statements))


def drop_audit_triggers(db_path: Target) -> None:
    drop_guards(db_path, "audit_no_update", "audit_no_delete")


# -- one row per mutation -------------------------------------------------------------------


@dataclass
class Mutation:
    """Setup commands, then the one mutation, and the row it must append."""

    setup: list[tuple[str, ...]]
    command: tuple[str, ...]
    action: str
    target: str
    account: str | None
    actor: str | None
    details: dict[str, Any] = field(default_factory=dict)


def _legal_setup(*more: tuple[str, ...]) -> list[tuple[str, ...]]:
    return [
        ("login", OWNER, "--name", "Ana Souza"),
        as_owner("account", "create", ACME, "--name", "Acme", "--tax-id", CNPJ, "--country", "BR"),
        as_owner("profile", "create", "soporte", "--preset", "soporte", "-a", ACME),
        as_owner("profile", "create", "tecnico", "--preset", "tecnico", "-a", ACME),
        *more,
    ]


_INVITE_BOB = as_owner("invite", BOB, "--profile", "soporte", "-a", ACME)
_BOB_ACCEPTS = ("--as", BOB, "accept", ACME)

MUTATIONS: dict[str, Mutation] = {
    "login creating a user": Mutation(
        [], ("login", OWNER, "--name", "Ana"), "user.create", OWNER, None, OWNER, {"name": "Ana"}
    ),
    "login renaming a user": Mutation(
        [("login", OWNER)], ("login", OWNER, "--name", "Ana S."), "user.rename", OWNER, None, OWNER
    ),
    "account create": Mutation(
        [("login", OWNER)],
        as_owner("account", "create", ACME, "--name", "Acme"),
        "account.create",
        ACME,
        ACME,
        OWNER,
        {"name": "Acme"},
    ),
    "account set-tax-id": Mutation(
        [("login", OWNER), as_owner("account", "create", ACME, "--name", "Acme")],
        as_owner("account", "set-tax-id", ACME, CNPJ, "--country", "BR"),
        "account.set_tax_id",
        ACME,
        ACME,
        OWNER,
        {"country": "BR", "tax_id": "11222333000181"},
    ),
    "profile create": Mutation(
        _legal_setup(),
        as_owner("profile", "create", "financiero", "--preset", "financiero", "-a", ACME),
        "profile.create",
        "financiero",
        ACME,
        OWNER,
    ),
    "profile edit": Mutation(
        _legal_setup(),
        as_owner("profile", "edit", "soporte", "--add", "withdrawal.withdraw", "-a", ACME),
        "profile.edit",
        "soporte",
        ACME,
        OWNER,
        {"added": ["withdrawal.withdraw"], "removed": []},
    ),
    "profile delete": Mutation(
        _legal_setup(),
        as_owner("profile", "delete", "tecnico", "-a", ACME),
        "profile.delete",
        "tecnico",
        ACME,
        OWNER,
    ),
    "profile delete --reassign": Mutation(
        _legal_setup(_INVITE_BOB),
        as_owner("profile", "delete", "soporte", "--reassign", "tecnico", "-a", ACME),
        "profile.delete",
        "soporte",
        ACME,
        OWNER,
        {"reassigned_to": "tecnico", "holders": [BOB]},
    ),
    "invite": Mutation(
        _legal_setup(),
        _INVITE_BOB,
        "invitation.create",
        BOB,
        ACME,
        OWNER,
        {"profile": "soporte"},
    ),
    "accept": Mutation(
        _legal_setup(_INVITE_BOB), _BOB_ACCEPTS, "invitation.accept", BOB, ACME, BOB
    ),
    "decline": Mutation(
        _legal_setup(_INVITE_BOB),
        ("--as", BOB, "decline", ACME),
        "invitation.decline",
        BOB,
        ACME,
        BOB,
    ),
    "renew": Mutation(
        _legal_setup(_INVITE_BOB),
        as_owner("invitation", "renew", BOB, "--expires-in", "30d", "-a", ACME),
        "invitation.renew",
        BOB,
        ACME,
        OWNER,
        {"was": "pending"},
    ),
    "set-profile": Mutation(
        _legal_setup(_INVITE_BOB, _BOB_ACCEPTS),
        as_owner("collaborator", "set-profile", BOB, "tecnico", "-a", ACME),
        "collaborator.set_profile",
        BOB,
        ACME,
        OWNER,
        {"from": "soporte", "to": "tecnico"},
    ),
    "remove": Mutation(
        _legal_setup(_INVITE_BOB, _BOB_ACCEPTS),
        as_owner("collaborator", "remove", BOB, "-a", ACME),
        "collaborator.remove",
        BOB,
        ACME,
        OWNER,
        {"was": "active"},
    ),
}


def _business(db_path: Path) -> list[str]:
    """The dump without the audit table's rows: what a mutation changes besides its row."""
    return [
        line for line in dump(db_path) if not line.startswith(('INSERT INTO "audit"', "audit: "))
    ]


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_every_mutation_appends_exactly_one_row(cli: Cli, db_path: Path, name: str) -> None:
    case = MUTATIONS[name]
    for args in case.setup:
        ok(cli, *args)
    before_rows = audit_rows(db_path) if exists(db_path) else []
    before_business = _business(db_path)

    ok(cli, *case.command)

    after = audit_rows(db_path)
    assert after[: len(before_rows)] == before_rows, "earlier rows must never change"
    new = after[len(before_rows) :]
    assert len(new) == 1, [r["action"] for r in new]
    row = new[0]
    assert (row["action"], row["target"], row["account"], row["actor"]) == (
        case.action,
        case.target,
        case.account,
        case.actor,
    )
    details = json.loads(row["details"])
    for key, value in case.details.items():
        assert details[key] == value, (key, details)
    # no row without its change: the command changed the business tables too
    assert _business(db_path) != before_business
    code, verdict, _ = verify(cli)
    assert (code, verdict["intact"], verdict["rows"]) == (0, True, len(after))


NO_OPS: dict[str, tuple[tuple[str, ...], ...]] = {
    "login again, same name": (("login", OWNER, "--name", "Ana Souza"),),
    "set-tax-id to the same number": (
        as_owner("account", "set-tax-id", ACME, CNPJ, "--country", "BR"),
    ),
    "edit adding what is there": (
        as_owner("profile", "edit", "soporte", "--add", "products.view", "-a", ACME),
    ),
    "invite again, same profile": (_INVITE_BOB,),
    "set-profile to the same profile": (
        as_owner("collaborator", "set-profile", BOB, "soporte", "-a", ACME),
    ),
}


@pytest.mark.parametrize("name", list(NO_OPS))
def test_a_no_op_exits_0_and_appends_nothing(cli: Cli, db_path: Path, name: str) -> None:
    for args in _legal_setup(_INVITE_BOB):
        ok(cli, *args)
    before = dump(db_path)
    for args in NO_OPS[name]:
        ok(cli, *args)
    assert dump(db_path) == before


def test_expiry_is_recorded_once_by_the_first_write_that_sees_it(
    cli: Cli, db_path: Path, clock: FakeClock
) -> None:
    for args in _legal_setup():
        ok(cli, *args)
    ok(cli, *as_owner("invite", BOB, "--profile", "soporte", "--expires-in", "90s", "-a", ACME))
    clock.advance(seconds=91)
    before = audit_rows(db_path)

    # a read sees it expired, and records nothing
    listed = cli(*as_owner("collaborator", "list", "-a", ACME, "--json"))
    assert listed.exit_code == 0, listed.stderr
    assert [m["status"] for m in json.loads(listed.stdout)] == ["expired"]
    assert audit_rows(db_path) == before

    # the next write records it, once, before its own row, with no actor (the clock did it)
    ok(cli, *as_owner("invite", CARLA, "--profile", "tecnico", "-a", ACME))
    new = audit_rows(db_path)[len(before) :]
    assert [(r["action"], r["target"], r["actor"]) for r in new] == [
        ("invitation.expire", BOB, None),
        ("invitation.create", CARLA, OWNER),
    ]
    # and never again
    ok(cli, *as_owner("profile", "edit", "soporte", "--add", "withdrawal.withdraw", "-a", ACME))
    actions = [r["action"] for r in audit_rows(db_path)]
    assert actions.count("invitation.expire") == 1
    assert verify(cli)[0] == 0


FAILURES: dict[str, tuple[tuple[str, ...], int]] = {
    "invite the owner": (as_owner("invite", OWNER, "--profile", "soporte", "-a", ACME), 4),
    "invite a bad email": (as_owner("invite", "not-an-email", "--profile", "soporte"), 6),
    "invite into a missing profile": (
        as_owner("invite", CARLA, "--profile", "nope", "-a", ACME),
        3,
    ),
    "delete a held profile": (as_owner("profile", "delete", "soporte", "-a", ACME), 4),
    "a stranger edits a profile": (
        ("--as", BOB, "profile", "edit", "soporte", "--add", "products.view", "-a", ACME),
        3,
    ),
    "accept with no invitation": (("--as", OWNER, "accept", ACME), 3),
    "duplicate account": (as_owner("account", "create", ACME, "--name", "Again"), 4),
    "edit leaving nothing": (
        as_owner(
            "profile",
            "edit",
            "tecnico",
            *[arg for perm in TECNICO for arg in ("--remove", perm)],
            "-a",
            ACME,
        ),
        6,
    ),
    "set-tax-id with a person's number": (
        as_owner("account", "set-tax-id", ACME, "111.444.777-35", "--country", "BR"),
        6,
    ),
}


@pytest.mark.parametrize("name", list(FAILURES))
def test_a_failed_command_adds_no_row_and_changes_nothing(
    cli: Cli, db_path: Path, clock: FakeClock, name: str
) -> None:
    for args in _legal_setup(_INVITE_BOB):
        ok(cli, *args)
    # An invitation is due to expire: a failed write must not record that either.
    ok(cli, *as_owner("invite", CARLA, "--profile", "tecnico", "--expires-in", "60s", "-a", ACME))
    clock.advance(minutes=5)
    before = dump(db_path)
    command, code = FAILURES[name]
    result = cli(*command)
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert result.stderr.startswith("error: ")
    assert dump(db_path) == before


def test_when_the_audit_row_cannot_be_written_the_change_does_not_happen(
    cli: Cli, db_path: Path
) -> None:
    for args in _legal_setup():
        ok(cli, *args)
    if is_pg(db_path):
        raw(
            db_path,
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN RAISE EXCEPTION 'audit refuses new rows'; END $$",
            "CREATE TRIGGER audit_refuses BEFORE INSERT ON audit"
            " FOR EACH ROW EXECUTE FUNCTION refuse()",
        )
    else:
        raw(
            db_path,
            "CREATE TRIGGER audit_refuses BEFORE INSERT ON audit"
            " BEGIN SELECT RAISE(ABORT, 'audit refuses new rows'); END",
        )
    before = dump(db_path)
    for command in (
        _INVITE_BOB,
        ("login", CARLA),
        as_owner("profile", "delete", "tecnico", "-a", ACME),
        as_owner("profile", "edit", "soporte", "--add", "withdrawal.withdraw", "-a", ACME),
    ):
        result = cli(*command)
        assert result.exit_code == 7, (command, result.stdout, result.stderr)
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and "audit refuses new rows" in errors[0]
        assert "Traceback" not in result.stderr
        assert dump(db_path) == before, command


# -- audit log --------------------------------------------------------------------------------


def _log(cli: Cli, *args: str) -> list[dict[str, Any]]:
    result = cli(*as_owner("audit", "log", "--json", *args))
    assert result.exit_code == 0, result.stderr
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


@pytest.fixture
def busy_log(cli: Cli, clock: FakeClock) -> None:
    """Two accounts; acme has more than 50 rows spread over three days."""
    for args in _legal_setup():
        ok(cli, *args)
    ok(
        cli,
        *as_owner(
            "account", "create", BETA, "--name", "Beta", "--tax-id", ES_CIF, "--country", "ES"
        ),
    )
    ok(cli, *as_owner("profile", "create", "tecnico", "--preset", "tecnico", "-a", BETA))
    clock.advance(days=1)
    for i in range(50):
        ok(cli, *as_owner("invite", f"p{i:02d}@example.com", "--profile", "soporte", "-a", ACME))
    clock.advance(days=1)
    ok(cli, *as_owner("invite", BOB, "--profile", "soporte", "-a", ACME))
    ok(cli, "--as", BOB, "accept", ACME)
    ok(cli, *as_owner("invite", CARLA, "--profile", "tecnico", "-a", BETA))


def test_audit_log_json_shape_newest_first_50_by_default(
    cli: Cli, db_path: Path, busy_log: None
) -> None:
    rows = _log(cli, "-a", ACME)
    assert len(rows) == 50
    assert all(set(r) >= AUDIT_KEYS for r in rows)
    assert all(isinstance(r["details"], dict) and isinstance(r["seq"], int) for r in rows)
    seqs = [r["seq"] for r in rows]
    assert seqs == sorted(seqs, reverse=True) and len(set(seqs)) == 50
    acme = [r for r in reversed(audit_rows(db_path)) if r["account"] == ACME]
    assert seqs == [r["seq"] for r in acme[:50]]
    assert rows[0]["action"] == "invitation.accept" and rows[0]["actor"] == BOB
    assert {r["account"] for r in rows} == {ACME}


def test_audit_log_filters(cli: Cli, db_path: Path, busy_log: None) -> None:
    everything = [r for r in audit_rows(db_path) if r["account"] == ACME]
    assert len(_log(cli, "-a", ACME, "--limit", "1000")) == len(everything)

    three = _log(cli, "-a", ACME, "--limit", "3")
    assert [r["action"] for r in three] == [
        "invitation.accept",
        "invitation.create",
        "invitation.create",
    ]

    beta = _log(cli, "-a", BETA)
    assert [r["action"] for r in beta] == [
        "invitation.create",
        "profile.create",
        "account.create",
    ]
    assert beta[0]["target"] == CARLA

    # --since: the third day only (a date, then a date-time)
    day3 = _log(cli, "-a", ACME, "--since", "2026-11-04")
    assert [(r["action"], r["target"]) for r in day3] == [
        ("invitation.accept", BOB),
        ("invitation.create", BOB),
    ]
    assert _log(cli, "-a", ACME, "--since", "2026-11-04T09:00:00Z") == day3
    assert len(_log(cli, "-a", ACME, "--since", "2026-11-03", "--limit", "500")) == 52

    # --actor, case-insensitively
    bobs = _log(cli, "-a", ACME, "--actor", BOB.upper())
    assert [(r["action"], r["actor"]) for r in bobs] == [("invitation.accept", BOB)]
    assert _log(cli, "-a", ACME, "--actor", "nobody@example.com") == []


def test_audit_log_actor_matches_beyond_ascii_case(cli: Cli, busy_log: None) -> None:
    """The same key as login uses (casefold), so a local part with non-ASCII capitals is
    found whichever way it is typed: SQLite's lower() alone folds ASCII only."""
    nandu = "Ñandú.Pérez@example.com"
    ok(cli, *as_owner("invite", nandu, "--profile", "tecnico", "-a", ACME))
    ok(cli, "--as", nandu, "accept", ACME)
    for typed in (nandu, "ñandú.pérez@EXAMPLE.com", "ÑANDÚ.PÉREZ@example.com"):
        rows = _log(cli, "-a", ACME, "--actor", typed)
        assert [(r["action"], r["actor"]) for r in rows] == [("invitation.accept", nandu)], typed


def test_audit_log_is_for_the_owner_and_active_collaborators(cli: Cli, busy_log: None) -> None:
    ok(cli, "login", "stranger@example.com")
    stranger = cli("--as", "stranger@example.com", "audit", "log", "-a", ACME)
    assert stranger.exit_code == 3
    assert stranger.stderr.startswith(f'error: no account "{ACME}"')
    bob = cli("--as", BOB, "audit", "log", "-a", ACME, "--json")
    assert bob.exit_code == 0 and len(json.loads(bob.stdout)) == 50
    bad_limit = cli(*as_owner("audit", "log", "-a", ACME, "--limit", "0"))
    assert bad_limit.exit_code == 6
    bad_since = cli(*as_owner("audit", "log", "-a", ACME, "--since", "yesterday"))
    assert bad_since.exit_code == 6


# -- append-only ----------------------------------------------------------------------------


@pytest.fixture
def chain(cli: Cli, db_path: Path) -> list[dict[str, Any]]:
    """A store with a few audit rows (at least 6)."""
    for args in _legal_setup(_INVITE_BOB, _BOB_ACCEPTS):
        ok(cli, *args)
    rows = audit_rows(db_path)
    assert len(rows) >= 6
    return rows


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit SET action = 'forged' WHERE seq = 2",
        "UPDATE audit SET hash = hash",
        "DELETE FROM audit WHERE seq = 3",
        "DELETE FROM audit",
    ],
)
def test_triggers_refuse_update_and_delete(
    db_path: Path, chain: list[dict[str, Any]], statement: str
) -> None:
    db_refuses(db_path, statement, match="append-only")
    assert audit_rows(db_path) == chain


# -- audit verify ---------------------------------------------------------------------------


def test_verify_passes_on_an_intact_chain(cli: Cli, chain: list[dict[str, Any]]) -> None:
    code, verdict, text = verify(cli)
    assert code == 0
    assert verdict["intact"] is True and verdict["rows"] == len(chain)
    assert verdict["first_bad_seq"] is None
    assert f"{len(chain)} rows" in text


def test_verify_on_a_store_that_does_not_exist_is_intact_and_creates_nothing(
    cli: Cli, db_path: Path
) -> None:
    code, verdict, _ = verify(cli)
    assert (code, verdict["intact"], verdict["rows"]) == (0, True, 0)
    assert not exists(db_path)


def test_the_hash_is_what_spec_says(chain: list[dict[str, Any]]) -> None:
    prev = "0" * 64
    for row in chain:
        assert row["prev_hash"] == prev
        assert row["hash"] == rehash(row, prev)
        prev = row["hash"]


def _swap_3_and_4(db_path: Target, rows: list[dict[str, Any]]) -> None:
    columns = ("at", "actor", "account", "action", "target", "details", "prev_hash", "hash")
    third, fourth = rows[2], rows[3]
    sets = ", ".join(f"{c} = ?" for c in columns)
    raw(
        db_path,
        (f"UPDATE audit SET {sets} WHERE seq = 3", tuple(fourth[c] for c in columns)),
        (f"UPDATE audit SET {sets} WHERE seq = 4", tuple(third[c] for c in columns)),
    )


def _relink_3(db_path: Target, rows: list[dict[str, Any]]) -> None:
    """Row 3 points at a previous hash that is not row 2's, and is rehashed to match, so
    only its link is broken."""
    forged_prev = "f" * 64
    raw(
        db_path,
        (
            "UPDATE audit SET prev_hash = ?, hash = ? WHERE seq = 3",
            (forged_prev, rehash(rows[2], forged_prev)),
        ),
    )


def _forge_append(db_path: Target, rows: list[dict[str, Any]]) -> None:
    """A row appended after the head with a made-up hash. On PostgreSQL it must name the
    login that writes it, and the check that no transaction leaves a row past the head
    (at COMMIT) must go first, as the tables' owner could."""
    login = (", db_login", ", session_user") if is_pg(db_path) else ("", "")
    if is_pg(db_path):
        drop_guards(db_path, "audit_head_covers")
    tamper(
        db_path,
        f"INSERT INTO audit (seq, at, actor, account, action, target, details, prev_hash, hash"
        f"{login[0]}) VALUES (?, '2026-11-02T09:00:00Z', 'mallory@example.com', 'acme-cursos',"
        f" 'invitation.create', 'x@example.com', '{{}}', ?, ?{login[1]})",
        params=(len(rows) + 1, rows[-1]["hash"], "0" * 64),
    )


TAMPERINGS: dict[str, tuple[Callable[[Target, list[dict[str, Any]]], None], int, str]] = {
    "a modified row": (
        lambda p, _: tamper(p, """UPDATE audit SET details = '{"forged":true}' WHERE seq = 3"""),
        3,
        "content",
    ),
    "a modified actor": (
        lambda p, _: tamper(p, "UPDATE audit SET actor = 'mallory@example.com' WHERE seq = 5"),
        5,
        "content",
    ),
    "a deleted row (gap)": (
        lambda p, _: tamper(p, "DELETE FROM audit WHERE seq = 3"),
        3,
        "missing",
    ),
    "two rows swapped": (_swap_3_and_4, 3, "link"),
    "a broken prev_hash link": (_relink_3, 3, "link"),
    "a forged row appended": (_forge_append, -1, "content"),
}


@pytest.mark.parametrize("name", list(TAMPERINGS))
def test_verify_names_the_first_bad_seq(
    cli: Cli, db_path: Path, chain: list[dict[str, Any]], name: str
) -> None:
    tamper, bad, problem = TAMPERINGS[name]
    expected = len(chain) + 1 if bad == -1 else bad
    drop_audit_triggers(db_path)
    assert verify(cli)[0] == 0  # dropping the triggers alone breaks nothing
    tamper(db_path, chain)

    code, verdict, text = verify(cli)
    assert code == 1
    assert verdict["intact"] is False
    assert verdict["first_bad_seq"] == expected
    assert problem in verdict["problem"]
    assert f"seq {expected}" in text
