"""The shared store enforces who may read and write what, tested as an attacker would:
bound team logins connect over TCP with their own password and send plain SQL (no
colabctl code), and every attempt that SPEC's rules do not allow is refused by
PostgreSQL, or, for an UPDATE or DELETE of rows its policies hide, affects no row; the
writes the rules allow succeed (docs/postgres.md, "What each login may do").

One world for the module (every attempt runs in a transaction that is rolled back):
ana owns acme-cursos (soporte, tecnico); bob is its active collaborator (soporte), carla
is invited to it (tecnico, pending); fabio owns beta-digital, where dora is active; each
of ana, bob, carla and fabio has a bound login; `nobody` is a login bound to no one.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from conftest import built_by_cli, new_pg_schema
from pgcluster import Cluster
from support import CNPJ, OTHER_CNPJ, Cli, failure, pg_schema

from colabctl.store import audit as chain
from colabctl.store import copying, pg_security
from colabctl.store.postgres import connect as colabctl_connect
from colabctl.store.schema import SCHEMA_VERSION

pytestmark = pytest.mark.postgres

ANA = "ana.souza@example.com"
BOB = "bob.costa@example.com"
CARLA = "carla.mendes@example.com"
FABIO = "fabio.lima@example.com"
DORA = "dora@example.com"
ACME = "acme-cursos"
BETA = "beta-digital"
AT = "2026-11-02T09:00:00Z"
PASSWORD = "attacker-pw"


@dataclass
class World:
    owner_url: str  # the store owner's (the superuser's)
    urls: dict[str, str]  # who (ana, bob, carla, fabio, nobody) -> their login's URL
    logins: dict[str, str]  # who -> login name
    ids: dict[str, int]  # users by name, accounts by slug, profiles as "slug/name"

    def sql(
        self, who: str, statement: str | list[Statement], params: tuple[Any, ...] = ()
    ) -> Outcome:
        return attempt(self.urls[who], statement, params)


@dataclass
class Outcome:
    refused: str | None  # PostgreSQL's refusal, if it refused
    rows: int = 0  # rows the statement affected or returned
    result: list[tuple[Any, ...]] | None = None


Statement = tuple[str, tuple[Any, ...]]


def attempt(url: str, statement: str | list[Statement], params: tuple[Any, ...] = ()) -> Outcome:
    """STATEMENT (or several, in order) as the login of URL, in one transaction rolled
    back afterwards: the first refusal, or what the last statement did."""
    statements = statement if isinstance(statement, list) else [(statement, params)]
    with psycopg.connect(url) as conn:
        try:
            for sql, values in statements:
                cursor = conn.execute(sql, values)
        except psycopg.Error as exc:
            conn.rollback()
            return Outcome(f"{type(exc).__name__}: {exc.diag.message_primary}")
        result = cursor.fetchall() if cursor.description else None
        count = cursor.rowcount
        conn.rollback()
    return Outcome(None, count, result)


def _steps(logins: dict[str, str]) -> list[list[str]]:
    steps = [
        ["login", ANA],
        ["--as", ANA, "account", "create", ACME, "--name", "Acme", "--tax-id", CNPJ,
         "--country", "BR"],
        ["--as", ANA, "profile", "create", "soporte", "--preset", "soporte", "-a", ACME],
        ["--as", ANA, "profile", "create", "tecnico", "--preset", "tecnico", "-a", ACME],
        *(["login", email] for email in (BOB, CARLA, FABIO, DORA)),
        ["--as", ANA, "invite", BOB, "--profile", "soporte", "-a", ACME],
        ["--as", BOB, "accept", ACME],
        ["--as", ANA, "invite", CARLA, "--profile", "tecnico", "-a", ACME],
        ["--as", FABIO, "account", "create", BETA, "--name", "Beta", "--tax-id", OTHER_CNPJ,
         "--country", "BR"],
        ["--as", FABIO, "profile", "create", "soporte", "--preset", "soporte", "-a", BETA],
        ["--as", FABIO, "invite", DORA, "--profile", "soporte", "-a", BETA],
        ["--as", DORA, "accept", BETA],
    ]  # fmt: skip
    for who, email in (("ana", ANA), ("bob", BOB), ("carla", CARLA), ("fabio", FABIO)):
        steps.append(["store", "bind", logins[who], email])
    return steps


def _ack(url: str, slug: str, by: str) -> None:
    """A review ack of SLUG by its owner BY, with its audit row, as colabctl writes one."""
    conn = colabctl_connect(url)
    try:
        conn.native("BEGIN")
        (account,) = conn.execute("SELECT id FROM accounts WHERE slug = ?", (slug,)).fetchone()
        conn.execute(
            "INSERT INTO review_acks (account_id, finding, fingerprint, actor, at, reason)"
            " VALUES (?, 'R1', 'f', ?, ?, 'fine')",
            (account, by, AT),
        )
        chain.append_many(
            conn, [(AT, by, slug, "review.ack", "R1", {"reason": "fine"})], db_login="postgres"
        )
        conn.native("COMMIT")
    finally:
        conn.close()


@pytest.fixture(scope="module")
def world(
    pg_cluster: Cluster, pg_admin: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    url = new_pg_schema(pg_cluster, pg_admin, "rls")
    suffix = secrets.token_hex(3)
    who = ("ana", "bob", "carla", "fabio", "nobody")
    logins = {name: f"rls_{name}_{suffix}" for name in who}
    for login in logins.values():
        pg_admin.execute(f"CREATE ROLE {login} LOGIN PASSWORD '{PASSWORD}'")
    try:
        built_by_cli(tmp_path_factory.mktemp("rls"), list(_steps(logins)), url)
        _ack(url, ACME, ANA)
        _ack(url, BETA, FABIO)
        schema = pg_schema(url)
        ids: dict[str, int] = {}
        for name, email in (("ana", ANA), ("bob", BOB), ("carla", CARLA), ("fabio", FABIO),
                            ("dora", DORA)):  # fmt: skip
            ids[name] = pg_admin.execute(
                f"SELECT id FROM {schema}.users WHERE email = %s", (email,)
            ).fetchone()[0]
        for slug, account_id in pg_admin.execute(f"SELECT slug, id FROM {schema}.accounts"):
            ids[slug] = account_id
        for slug, name, profile_id in pg_admin.execute(
            f"SELECT a.slug, p.name, p.id FROM {schema}.profiles p"
            f" JOIN {schema}.accounts a ON a.id = p.account_id"
        ):
            ids[f"{slug}/{name}"] = profile_id
        urls = {name: as_login(url, login) for name, login in logins.items()}
        yield World(url, urls, logins, ids)
    finally:
        pg_admin.execute(f"DROP SCHEMA {pg_schema(url)} CASCADE")
        for login in logins.values():
            pg_admin.execute(f"DROP OWNED BY {login}")
            pg_admin.execute(f"DROP ROLE {login}")


def as_login(url: str, login: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{login}:{PASSWORD}@{rest.split('@', 1)[1]}"


def refused(outcome: Outcome) -> None:
    assert outcome.refused is not None, f"allowed: {outcome}"


def refused_or_nothing(outcome: Outcome) -> None:
    """Refused, or (an UPDATE or DELETE of rows its policies hide) no row affected."""
    assert outcome.refused is not None or outcome.rows == 0, f"allowed: {outcome}"


def allowed(outcome: Outcome, rows: int = 1) -> None:
    assert outcome.refused is None, outcome.refused
    assert outcome.rows == rows, outcome


# -- writes: every table, every verb ---------------------------------------------------------

# every table of the store (its copy's tables, and those it keeps about itself)
ALL_TABLES = (*(table.name for table in copying.TABLES), *sorted(copying.BOOKKEEPING))


def _inserts(w: World, who: str, slug: str) -> dict[str, str]:
    """An INSERT into each table that WHO's user may not make (about SLUG's account)."""
    me, account = w.ids[who], w.ids[slug]
    profile = w.ids[f"{slug}/soporte"]
    other = w.ids["carla"]
    return {
        "users": "INSERT INTO users (id, email, email_key, created_at)"
        " VALUES (9001, 'eve@example.com', 'eve@example.com', 'now')",
        "accounts": "INSERT INTO accounts (id, slug, name, owner_id, created_at)"
        f" VALUES (9001, 'evil', 'Evil', {w.ids['ana' if who != 'ana' else 'fabio']}, 'now')",
        "profiles": "INSERT INTO profiles (id, account_id, name, created_at)"
        f" VALUES (9001, {account}, 'evil', 'now')",
        "profile_permissions": f"INSERT INTO profile_permissions VALUES ({profile},"
        " 'withdrawal.withdraw')",
        "memberships": "INSERT INTO memberships (id, account_id, user_id, profile_id, status,"
        f" invited_by, invited_at, expires_at) VALUES (9001, {account}, {other}, {profile},"
        f" 'active', {me}, 'now', 'later')",
        "transfers": "INSERT INTO transfers (id, account_id, from_id, to_id, status, offered_at,"
        f" expires_at) VALUES (9001, {account}, {w.ids['ana']}, {me}, 'open', 'now', 'later')",
        "review_acks": "INSERT INTO review_acks (account_id, finding, fingerprint, actor, at,"
        f" reason) VALUES ({account}, 'R2', 'f', '{BOB}', 'now', 'x')",
        "audit": "INSERT INTO audit (seq, at, action, details, prev_hash, hash, db_login)"
        f" VALUES (9001, 'now', 'x', '{{}}', 'p', 'h', '{w.logins[who]}')",
        "audit_head": "INSERT INTO audit_head VALUES (2, 1, 'h')",
        "colabctl_schema": "INSERT INTO colabctl_schema VALUES (99)",
        "store_bindings": f"INSERT INTO store_bindings VALUES ('{w.logins[who]}x', {me}, 'now')",
        "_sqlite_migrations": "INSERT INTO _sqlite_migrations VALUES ('colabctl', 'm999', 'now')",
    }


def _updates(w: World, who: str, slug: str) -> dict[str, list[str]]:
    me, account = w.ids[who], w.ids[slug]
    return {
        "users": [
            f"UPDATE users SET name = 'x' WHERE id = {w.ids['ana' if who != 'ana' else 'fabio']}",
            f"UPDATE users SET email = 'x@example.com' WHERE id = {me}",
            f"UPDATE users SET email_key = 'x' WHERE id = {me}",
        ],
        "accounts": [
            f"UPDATE accounts SET name = 'x' WHERE id = {account}",
            f"UPDATE accounts SET owner_id = {me} WHERE id = {account}",
            f"UPDATE accounts SET slug = 'x' WHERE id = {account}",
        ],
        "profiles": [
            f"UPDATE profiles SET description = 'x' WHERE account_id = {account}",
            f"UPDATE profiles SET name = 'x' WHERE account_id = {account}",
        ],
        "profile_permissions": ["UPDATE profile_permissions SET permission = 'account.bank'"],
        "memberships": [
            f"UPDATE memberships SET access_until = NULL WHERE account_id = {account}",
            f"UPDATE memberships SET status = 'revoked' WHERE account_id = {account}",
            f"UPDATE memberships SET profile_name = 'x' WHERE account_id = {account}",
        ],
        "transfers": [f"UPDATE transfers SET status = 'accepted' WHERE account_id = {account}"],
        "review_acks": [f"UPDATE review_acks SET reason = 'x' WHERE account_id = {account}"],
        "audit": ["UPDATE audit SET details = '{}'"],
        "audit_head": ["UPDATE audit_head SET seq = seq + 1", "UPDATE audit_head SET seq = 0"],
        "colabctl_schema": ["UPDATE colabctl_schema SET version = 99"],
        "store_bindings": [f"UPDATE store_bindings SET user_id = {me}"],
        "_sqlite_migrations": ["UPDATE _sqlite_migrations SET name = 'x'"],
    }


def _deletes(w: World, slug: str) -> dict[str, str]:
    account = w.ids[slug]
    where = {
        "accounts": f"id = {account}",
        "profiles": f"account_id = {account}",
        "profile_permissions": f"profile_id = {w.ids[f'{slug}/soporte']}",
        "memberships": f"account_id = {account}",
        "transfers": f"account_id = {account}",
        "review_acks": f"account_id = {account}",
    }
    return {table: f"DELETE FROM {table} WHERE {where.get(table, 'true')}" for table in ALL_TABLES}


# (who attacks, whose account): a collaborator its own account, an owner another's
ATTACKS = [("bob", ACME), ("ana", BETA)]


@pytest.mark.parametrize(("who", "slug"), ATTACKS)
@pytest.mark.parametrize("table", ALL_TABLES)
def test_no_insert_update_delete_or_truncate(world: World, who: str, slug: str, table: str) -> None:
    refused(world.sql(who, _inserts(world, who, slug)[table]))
    for statement in _updates(world, who, slug)[table]:
        refused_or_nothing(world.sql(who, statement))
    refused_or_nothing(world.sql(who, _deletes(world, slug)[table]))
    refused(world.sql(who, f"TRUNCATE {table}"))


def test_the_issue_reproduction_a_collaborator_grants_itself_a_permission(world: World) -> None:
    # `psql -U colab_bob -c "insert into profile_permissions values (2, ...)"`, on the
    # profile bob holds and on another one
    for profile in ("acme-cursos/soporte", "acme-cursos/tecnico"):
        outcome = world.sql(
            "bob",
            "insert into profile_permissions values (%s, 'withdrawal.withdraw')",
            (world.ids[profile],),
        )
        assert outcome.refused is not None
        assert "row-level security" in outcome.refused, outcome.refused


# -- reads ---------------------------------------------------------------------------------


# (who reads, another's account, the people there it must not see)
READS = [
    ("bob", BETA, ("fabio", "dora")),
    ("carla", BETA, ("fabio", "dora", "bob")),
    ("ana", BETA, ("fabio", "dora")),
    ("fabio", ACME, ("ana", "bob", "carla")),
]


@pytest.mark.parametrize(("who", "slug", "strangers"), READS)
def test_no_rows_of_another_account(
    world: World, who: str, slug: str, strangers: tuple[str, ...]
) -> None:
    account = world.ids[slug]
    profile = world.ids[f"{slug}/soporte"]
    for statement in (
        f"SELECT id, slug, name, owner_id FROM accounts WHERE id = {account} OR slug = '{slug}'",
        f"SELECT * FROM profiles WHERE account_id = {account}",
        f"SELECT * FROM profile_permissions WHERE profile_id = {profile}",
        f"SELECT * FROM memberships WHERE account_id = {account}",
        f"SELECT * FROM transfers WHERE account_id = {account}",
        f"SELECT * FROM review_acks WHERE account_id = {account}",
        f"SELECT * FROM account_data WHERE account_id = {account}",
        f"SELECT * FROM audit_log WHERE account = '{slug}'",
        *(
            f"SELECT * FROM {view} WHERE account_id = {account}"
            for view in ("colabctl_owned", "colabctl_active", "colabctl_mine", "colabctl_offers")
        ),
        f"SELECT * FROM colabctl_readable_profiles WHERE profile_id = {profile}",
    ):
        outcome = world.sql(who, statement)
        assert outcome.refused is None and outcome.result == [], (statement, outcome)
    # nor its people
    for person in strangers:
        found = world.sql(who, f"SELECT * FROM users WHERE id = {world.ids[person]}")
        assert found.result == [], person
    # the whole audit table, the bindings of others, the migrations: refused or nothing
    refused(world.sql(who, "SELECT * FROM audit"))
    assert world.sql(who, "SELECT login FROM store_bindings").result == [(world.logins[who],)]
    refused(world.sql(who, "SELECT * FROM _sqlite_migrations"))


def test_what_a_collaborator_reads(world: World) -> None:
    # its account, its people and profiles, its audit rows but the review acks
    assert world.sql("bob", "SELECT slug FROM accounts").result == [(ACME,)]
    emails = {r[0] for r in world.sql("bob", "SELECT email FROM users").result or []}
    assert emails == {ANA, BOB, CARLA}
    assert world.sql("bob", "SELECT count(*) FROM profiles").result == [(2,)]
    actions = {r[0] for r in world.sql("bob", "SELECT action FROM audit_log").result or []}
    assert "invitation.accept" in actions and "review.ack" not in actions
    assert world.sql("bob", "SELECT count(*) FROM review_acks").result == [(0,)]
    # the owner reads its own account's acks
    assert world.sql("ana", "SELECT finding FROM review_acks").result == [("R1",)]
    acked = world.sql("ana", "SELECT action FROM audit_log WHERE action = 'review.ack'")
    assert acked.result == [("review.ack",)]


def test_what_an_invitee_reads(world: World) -> None:
    # of the account it is only invited to: the slug, name and owner, its own membership
    # with the profile's name and the inviter; no people, permissions or audit rows
    assert world.sql("carla", "SELECT slug, name FROM accounts").result == [(ACME, "Acme")]
    emails = {r[0] for r in world.sql("carla", "SELECT email FROM users").result or []}
    assert emails == {ANA, CARLA}
    mine = world.sql("carla", "SELECT user_id, status FROM memberships").result
    assert mine == [(world.ids["carla"], "pending")]
    assert world.sql("carla", "SELECT name FROM profiles").result == [("tecnico",)]
    for table in ("profile_permissions", "transfers", "review_acks"):
        assert world.sql("carla", f"SELECT * FROM {table}").result == [], table
    # of the audit log, only the account-less rows about herself
    rows = world.sql("carla", "SELECT action, target, details FROM audit_log").result or []
    assert sorted(r[0] for r in rows) == ["store.bind", "user.create"]
    assert all(CARLA in json.dumps(r) for r in rows)


@pytest.mark.parametrize("who", ["bob", "carla", "ana", "fabio"])
def test_no_tax_id_but_its_own_accounts(world: World, who: str) -> None:
    refused(world.sql(who, "SELECT tax_id FROM accounts"))
    refused(world.sql(who, "SELECT tax_country FROM accounts"))
    refused(world.sql(who, "SELECT * FROM accounts"))
    owned = {"ana": ACME, "fabio": BETA}.get(who)
    found = world.sql(
        who,
        "SELECT a.slug, d.legal_entity, d.tax_country, d.tax_id FROM account_data d"
        " JOIN accounts a ON a.id = d.account_id",
    )
    compact = {ACME: _digits(CNPJ), BETA: _digits(OTHER_CNPJ)}
    assert found.result
    for slug, legal, country, tax_id in found.result:
        assert legal is True
        expected = ("BR", compact[slug]) if slug == owned else (None, None)
        assert (country, tax_id) == expected, slug
    # audit rows carry tax data only to the account's owner
    for slug, details in (
        world.sql(
            who, "SELECT account, details FROM audit_log WHERE action = 'account.create'"
        ).result
        or []
    ):
        data = json.loads(details)
        if slug == owned:
            assert data["country"] == "BR"
        else:
            assert data["country"] is None and data["tax_id"] is None, slug


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


# -- a collaborator's own rows -------------------------------------------------------------


def test_a_collaborator_cannot_change_its_own_profile(world: World) -> None:
    tecnico = world.ids["acme-cursos/tecnico"]
    for statement in (
        f"UPDATE memberships SET profile_id = {tecnico} WHERE user_id = {world.ids['bob']}",
        f"UPDATE memberships SET access_until = '2099-01-01' WHERE user_id = {world.ids['bob']}",
        f"UPDATE memberships SET status = 'pending' WHERE user_id = {world.ids['bob']}",
        f"UPDATE memberships SET invited_by = NULL WHERE user_id = {world.ids['bob']}",
    ):
        refused(world.sql("bob", statement))


@pytest.fixture
def kept(world: World) -> Iterator[int]:
    """A history row of bob's in acme-cursos: an invitation he declined to a profile
    `ventas`, since deleted (the name kept on the row). Its id; removed afterwards."""
    with psycopg.connect(world.owner_url, autocommit=True) as conn:
        row = conn.execute(
            "INSERT INTO memberships (account_id, user_id, profile_name, status, invited_by,"
            " invited_at, expires_at, responded_at, ended_at)"
            " VALUES (%s, %s, 'ventas', 'declined', %s, %s, %s, %s, %s) RETURNING id",
            (world.ids[ACME], world.ids["bob"], world.ids["ana"], AT, AT, AT, AT),
        ).fetchone()
        assert row is not None
        try:
            yield int(row[0])
        finally:
            conn.execute("DELETE FROM memberships WHERE id = %s", (row[0],))


def test_only_the_owner_writes_the_name_a_history_row_keeps(world: World, kept: int) -> None:
    soporte, tecnico = world.ids["acme-cursos/soporte"], world.ids["acme-cursos/tecnico"]
    bob, carla = world.ids["bob"], world.ids["carla"]
    read = f"SELECT profile_name FROM memberships WHERE id = {kept}"
    assert world.sql("bob", read).result == [("ventas",)]  # his own history: he reads it
    for statement in (  # but never rewrites it, or his live row's
        f"UPDATE memberships SET profile_name = 'soporte' WHERE id = {kept}",
        f"UPDATE memberships SET profile_name = NULL WHERE id = {kept}",
        f"UPDATE memberships SET profile_id = {soporte}, profile_name = NULL WHERE id = {kept}",
        f"UPDATE memberships SET profile_name = 'x' WHERE user_id = {bob} AND status = 'active'",
    ):
        refused(world.sql("bob", statement))
    for answer in (  # an invitee answers its invitation, and changes nothing else
        "status = 'declined', responded_at = 'now', ended_at = 'now', profile_name = 'x'",
        "status = 'declined', responded_at = 'now', ended_at = 'now', profile_id = NULL,"
        " profile_name = 'tecnico'",
    ):
        refused(world.sql("carla", f"UPDATE memberships SET {answer} WHERE user_id = {carla}"))
    refused_or_nothing(
        world.sql("fabio", f"UPDATE memberships SET profile_name = 'x' WHERE id = {kept}")
    )
    # the owner: what `profile delete` writes (carla removed first, so tecnico has no one)
    delete = [
        (f"UPDATE memberships SET status = 'revoked', ended_at = 'now' WHERE user_id = {carla}",
         ()),
        ("UPDATE memberships SET profile_id = NULL, profile_name = 'tecnico'"
         f" WHERE profile_id = {tecnico}", ()),
        (f"DELETE FROM profiles WHERE id = {tecnico}", ()),
    ]  # fmt: skip
    allowed(world.sql("ana", delete))
    allowed(world.sql("ana", f"UPDATE memberships SET profile_name = 'ventas2' WHERE id = {kept}"))
    # a name is kept only where the row holds no profile (the schema's own check)
    refused(
        world.sql("ana", f"UPDATE memberships SET profile_name = 'x' WHERE profile_id = {soporte}")
    )


def test_nobody_accepts_someone_elses_invitation(world: World) -> None:
    carla = world.ids["carla"]
    for who in ("bob", "fabio"):
        refused_or_nothing(
            world.sql(
                who,
                "UPDATE memberships SET status = 'active', responded_at = 'now'"
                f" WHERE user_id = {carla}",
            )
        )


def test_nobody_makes_itself_an_owner(world: World) -> None:
    for who, slug, owner in (("bob", ACME, "ana"), ("carla", ACME, "ana"), ("ana", BETA, "fabio")):
        me, account = world.ids[who], world.ids[slug]
        refused_or_nothing(
            world.sql(who, f"UPDATE accounts SET owner_id = {me} WHERE id = {account}")
        )
        refused(
            world.sql(
                who,
                "INSERT INTO transfers (account_id, from_id, to_id, status, offered_at,"
                f" expires_at) VALUES ({account}, {world.ids[owner]}, {me}, 'open', 'now',"
                " 'later')",
            )
        )
    # nor a new owner of its own account but through an offer the owner made
    refused(world.sql("ana", f"UPDATE accounts SET owner_id = {world.ids['bob']}"))


def test_no_login_binds_itself(world: World) -> None:
    for who in ("bob", "nobody"):
        refused(
            world.sql(
                who,
                f"INSERT INTO store_bindings VALUES ('{world.logins[who]}', {world.ids['ana']},"
                " 'now')",
            )
        )
    refused_or_nothing(world.sql("bob", f"UPDATE store_bindings SET user_id = {world.ids['ana']}"))


# -- forged audit rows ----------------------------------------------------------------------


def _row(
    w: World, who: str, *, action: str, account: str | None, actor: str | None,
    target: str | None = None, login: str | None = None, wrong_hash: bool = False,
) -> list[Statement]:  # fmt: skip
    """An INSERT of the next audit row and the head's move onto it, with its true hash
    unless WRONG_HASH."""
    with psycopg.connect(w.owner_url) as conn:
        found = conn.execute("SELECT seq, hash FROM audit_head").fetchone()
    assert found is not None
    seq, prev = found
    seq += 1
    login = login or w.logins[who]
    details = "{}"
    digest = chain.chained_hash(prev, seq, AT, actor, account, action, target, details, login)
    if wrong_hash:
        digest = "0" * 64
    insert = (
        "INSERT INTO audit (seq, at, actor, account, action, target, details, prev_hash, hash,"
        " db_login) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    )
    values = (seq, AT, actor, account, action, target, details, prev, digest, login)
    move = ("UPDATE audit_head SET seq = %s, hash = %s WHERE id = 1", (seq, digest))
    return [(insert, values), move]


@pytest.mark.parametrize(("who", "slug", "mine"), [("bob", ACME, BOB), ("ana", BETA, ANA)])
def test_forged_audit_rows_are_refused(world: World, who: str, slug: str, mine: str) -> None:
    forgeries = {
        "a wrong hash": _row(world, who, action="user.rename", account=None, actor=mine,
                             target=mine, wrong_hash=True),
        "another login": _row(world, who, action="user.rename", account=None, actor=mine,
                              target=mine, login=world.logins["fabio" if who == "ana" else "ana"]),
        "another user": _row(world, who, action="user.rename", account=None, actor=CARLA,
                             target=CARLA),
        "no user": _row(world, who, action="user.rename", account=None, actor=None,
                        target=mine),
        "an owner's action": _row(world, who, action="profile.edit", account=slug, actor=mine,
                                  target="soporte"),
        "an invitee's action": _row(world, who, action="invitation.accept", account=slug,
                                    actor=mine, target=mine),
        "a registration": _row(world, who, action="user.create", account=None, actor=mine,
                               target=mine),
        "a binding": _row(world, who, action="store.bind", account=None, actor=mine,
                          target=world.logins[who]),
        "a checkpoint": _row(world, who, action="store.checkpoint", account=None, actor=mine),
    }  # fmt: skip
    for what, statements in forgeries.items():
        outcome = world.sql(who, statements)
        assert outcome.refused is not None, what
    # its own row, truly hashed, goes in (and moves the head)
    own = _row(world, who, action="user.rename", account=None, actor=mine, target=mine)
    allowed(world.sql(who, own))


# -- functions ---------------------------------------------------------------------------------

QUESTIONS = {
    "colabctl_slug_taken(text)": "SELECT colabctl_slug_taken('acme-cursos')",
    "colabctl_registered(text[])": f"SELECT * FROM colabctl_registered(ARRAY['{ANA}'])",
    "colabctl_lookalikes(text[], text[])": "SELECT * FROM colabctl_lookalikes(ARRAY['x'],"
    " ARRAY['y'])",
    "colabctl_user_ids(text[])": f"SELECT * FROM colabctl_user_ids(ARRAY['{ANA}'])",
    "colabctl_next_id(text)": "SELECT colabctl_next_id('users')",
    "colabctl_add_invitees(json)": "SELECT colabctl_add_invitees('[]')",
}


def test_the_functions_are_everyones_but_an_unbound_logins(world: World) -> None:
    assert set(QUESTIONS) == set(pg_security.QUESTIONS[1:])
    for name, statement in QUESTIONS.items():
        outcome = world.sql("nobody", statement)
        assert outcome.refused is not None and "permission denied" in outcome.refused, name
        assert world.sql("bob", statement).refused is None, name
    # the one question an unbound login may ask: whether it is bound (no, and nothing more)
    said = world.sql("nobody", "SELECT * FROM colabctl_login()").result
    assert said == [(None, False, None, None)]
    said = world.sql("bob", "SELECT * FROM colabctl_login()").result
    assert said is not None and said[0][1:] == (False, world.ids["bob"], BOB)
    # and its own reads: refused, table after table
    for table in (*ALL_TABLES, *pg_security.VIEWS, *pg_security.HELPER_VIEWS):
        refused(world.sql("nobody", f"SELECT * FROM {table}"))


def test_the_answers_say_no_more_than_asked(world: World) -> None:
    # bob may not read beta-digital, nor fabio's address; he learns only that the slug is
    # taken, that the address is registered (as given), which of his addresses collides
    assert world.sql("bob", "SELECT colabctl_slug_taken(%s)", (BETA,)).result == [(True,)]
    assert world.sql("bob", "SELECT colabctl_slug_taken('free')").result == [(False,)]
    found = world.sql("bob", "SELECT * FROM colabctl_registered(%s)", ([FABIO, "no@x.com"],))
    assert found.result == [(FABIO,)]
    keys = world.sql("bob", "SELECT * FROM colabctl_user_ids(%s)", ([FABIO],)).result
    assert keys == [(FABIO, world.ids["fabio"])]
    # an invitee is registered only with an invitation into the caller's own account
    outcome = world.sql(
        "bob",
        "SELECT colabctl_add_invitees(CAST(%s AS json))",
        (json.dumps([{
            "user_id": 9001, "email": "eve@example.com", "email_key": "eve@example.com",
            "skeleton": "eve@example.com", "created_at": AT, "id": 9001,
            "account_id": world.ids[ACME], "profile_id": world.ids["acme-cursos/soporte"],
            "invited_by": world.ids["bob"], "invited_at": AT, "expires_at": AT,
            "access_until": None,
        }]),),
    )  # fmt: skip
    refused(outcome)


# -- what the rules allow ----------------------------------------------------------------------


def test_the_writes_the_rules_allow(world: World) -> None:
    bob, carla, ana = world.ids["bob"], world.ids["carla"], world.ids["ana"]
    # its own user's display name; a new account it owns
    allowed(world.sql("bob", f"UPDATE users SET name = 'Bob' WHERE id = {bob}"))
    allowed(
        world.sql(
            "bob",
            "INSERT INTO accounts (slug, name, owner_id, created_at)"
            f" VALUES ('bob-co', 'Bob Co', {bob}, 'now') RETURNING id",
        )
    )
    # an invitee answers its own invitation, with the time columns that answer sets
    for answer in (
        "status = 'active', responded_at = 'now'",
        "status = 'declined', responded_at = 'now', ended_at = 'now'",
        "status = 'expired', ended_at = expires_at",
    ):
        allowed(world.sql("carla", f"UPDATE memberships SET {answer} WHERE user_id = {carla}"))
    # an owner: its account's fields, profiles, permissions, memberships and offers
    acme, soporte = world.ids[ACME], world.ids["acme-cursos/soporte"]
    for statement in (
        f"UPDATE accounts SET name = 'Acme 2', tax_id = NULL, tax_country = NULL WHERE id = {acme}",
        f"UPDATE profiles SET description = 'x' WHERE id = {soporte}",
        f"INSERT INTO profile_permissions VALUES ({soporte}, 'withdrawal.withdraw')",
        f"DELETE FROM profile_permissions WHERE profile_id = {soporte}"
        " AND permission = 'products.view'",
        f"UPDATE memberships SET profile_id = {world.ids['acme-cursos/tecnico']}"
        f" WHERE user_id = {bob}",
        "INSERT INTO transfers (account_id, from_id, to_id, status, offered_at, expires_at)"
        f" VALUES ({acme}, {ana}, {bob}, 'open', 'now', 'later') RETURNING id",
        "INSERT INTO review_acks (account_id, finding, fingerprint, actor, at, reason)"
        f" VALUES ({acme}, 'R9', 'f', '{ANA}', 'now', 'x') RETURNING id",
    ):
        allowed(world.sql("ana", statement))
    # but never an owner-only permission, nor an offer to someone not active there
    refused(world.sql("ana", f"INSERT INTO profile_permissions VALUES ({soporte}, 'account.bank')"))
    refused(
        world.sql(
            "ana",
            "INSERT INTO transfers (account_id, from_id, to_id, status, offered_at, expires_at)"
            f" VALUES ({acme}, {ana}, {carla}, 'open', 'now', 'later')",
        )
    )


def test_a_recipient_takes_the_account_and_nothing_more(world: World) -> None:
    bob, ana, acme = world.ids["bob"], world.ids["ana"], world.ids[ACME]
    soporte = world.ids["acme-cursos/soporte"]
    with psycopg.connect(world.urls["ana"]) as owner:
        owner.execute(
            "INSERT INTO transfers (account_id, from_id, to_id, status, offered_at, expires_at)"
            f" VALUES ({acme}, {ana}, {bob}, 'open', 'now', 'later')"
        )
        owner.commit()
    try:
        with psycopg.connect(world.urls["bob"]) as conn:
            # not the name, nor another's ownership: only its own, from the offer's maker
            for statement in (
                f"UPDATE accounts SET owner_id = {bob}, name = 'Mine' WHERE id = {acme}",
                f"UPDATE accounts SET owner_id = {world.ids['carla']} WHERE id = {acme}",
            ):
                with pytest.raises(psycopg.Error):
                    conn.execute(statement)
                conn.rollback()
            # what `account accept-transfer --keep-as soporte` writes, in its order
            for statement in (
                "UPDATE memberships SET status = 'revoked', ended_at = 'now'"
                f" WHERE account_id = {acme} AND user_id = {bob} AND status = 'active'",
                f"UPDATE accounts SET owner_id = {bob} WHERE id = {acme}",
                "INSERT INTO memberships (account_id, user_id, profile_id, status, invited_by,"
                f" invited_at, expires_at, responded_at) VALUES ({acme}, {ana}, {soporte},"
                f" 'active', {bob}, 'now', 'now', 'now')",
                "UPDATE transfers SET status = 'accepted', closed_at = 'now'"
                f" WHERE account_id = {acme} AND status = 'open'",
            ):
                assert conn.execute(statement).rowcount == 1, statement
            conn.rollback()
    finally:
        with psycopg.connect(world.owner_url) as conn:
            conn.execute("DELETE FROM transfers")


# -- whole-store work, through colabctl ----------------------------------------------------------


def test_the_issue_reproduction_store_copy_as_a_collaborator(
    world: World, cli: Cli, tmp_path: Path
) -> None:
    line, hint = failure(cli("store", "copy", world.urls["bob"], str(tmp_path / "all.db")), 5)
    assert "only the store owner" in line
    assert hint == "hint: run it as postgres, the login that owns colabctl's tables"
    assert not (tmp_path / "all.db").exists()
    line, _ = failure(cli("--db", world.urls["bob"], "audit", "verify"), 5)
    assert "only the store owner" in line
    assert cli("--db", world.urls["bob"], "audit", "head").exit_code == 0


def test_a_colabctl_whose_own_check_was_wrong_is_refused_with_exit_5(
    world: World, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server holds the rules even against colabctl itself: with its owner check
    gone (a bug), a collaborator's `profile edit` is refused by the server, exit 5
    `the store refused: ...`, never 7 or a traceback, and nothing changes."""
    from colabctl.core import access

    def anyone_manages(s: Any, explicit: str | None = None, **_: Any) -> Any:
        return s.get_account(s.ctx.account_choice(explicit))

    monkeypatch.setattr(access, "managed", anyone_manages)
    before = world.sql("ana", "SELECT permission FROM profile_permissions ORDER BY 1").result
    add = ("profile", "edit", "soporte", "--add", "withdrawal.withdraw", "-a", ACME)
    line, _ = failure(cli("--db", world.urls["bob"], *add), 5)
    assert line.startswith("error: the store refused: new row violates row-level security")
    # an UPDATE the policies hide changes no row, and its audit row is refused
    line, _ = failure(cli("--db", world.urls["bob"], "account", "set-tax-id", ACME, OTHER_CNPJ,
                          "--country", "BR"), 5)  # fmt: skip
    assert line.startswith("error: the store refused: ")
    after = world.sql("ana", "SELECT permission FROM profile_permissions ORDER BY 1").result
    assert after == before


# -- the database behind them -------------------------------------------------------------------


def test_unbinding_takes_back_every_privilege(
    world: World, pg_admin: Any, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    login = f"rls_gone_{secrets.token_hex(3)}"
    pg_admin.execute(f"CREATE ROLE {login} LOGIN PASSWORD '{PASSWORD}'")
    schema = pg_schema(world.owner_url)
    try:
        monkeypatch.setenv("COLABCTL_DB", world.owner_url)
        assert cli("--as", ANA, "store", "bind", login, DORA).exit_code == 0
        assert _privileges(pg_admin, login, schema)
        assert cli("--as", ANA, "store", "unbind", login).exit_code == 0
        assert _privileges(pg_admin, login, schema) == []
        url = as_login(world.owner_url, login)
        for table in (*ALL_TABLES, *pg_security.VIEWS, *pg_security.HELPER_VIEWS):
            refused(attempt(url, f"SELECT * FROM {table}"))
    finally:
        pg_admin.execute(f"DROP OWNED BY {login}")
        pg_admin.execute(f"DROP ROLE {login}")


def _privileges(admin: Any, login: str, schema: str) -> list[tuple[Any, ...]]:
    """Every privilege LOGIN holds on the schema's relations, columns and functions."""
    return list(
        admin.execute(
            """
            SELECT c.relname, NULL, p.privilege_type FROM pg_class c,
                   aclexplode(c.relacl) p
            WHERE c.relnamespace = %(s)s::regnamespace AND p.grantee = %(l)s::regrole
            UNION ALL
            SELECT c.relname, a.attname, p.privilege_type FROM pg_class c
            JOIN pg_attribute a ON a.attrelid = c.oid, aclexplode(a.attacl) p
            WHERE c.relnamespace = %(s)s::regnamespace AND p.grantee = %(l)s::regrole
            UNION ALL
            SELECT f.proname, NULL, p.privilege_type FROM pg_proc f, aclexplode(f.proacl) p
            WHERE f.pronamespace = %(s)s::regnamespace AND p.grantee = %(l)s::regrole
            """,
            {"s": schema, "l": login},
        ).fetchall()
    )


def test_store_info_counts_what_a_login_reads(world: World, cli: Cli) -> None:
    said = json.loads(cli("--db", world.urls["bob"], "store", "info", "--json").stdout)
    assert said["schema_version"] == SCHEMA_VERSION and said["db_login"] == world.logins["bob"]
    counts = said["counts"]
    assert (counts["accounts"], counts["users"], counts["profiles"]) == (1, 3, 2)
    assert (counts["memberships"], counts["review_acks"], counts["store_bindings"]) == (2, 0, 1)
    # its account's audit rows but the review ack, and its own account-less ones
    ((seen,),) = world.sql("bob", "SELECT count(*) FROM audit_log").result or [(None,)]
    assert counts["audit"] == seen
    everything = json.loads(cli("--db", world.owner_url, "store", "info", "--json").stdout)
    assert everything["counts"]["audit"] > counts["audit"]
    assert everything["head"] == said["head"]
