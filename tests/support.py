"""What the tests share that is not a fixture (the fixtures are in conftest.py):

- the cast: one set of people, accounts and tax IDs for every test;
- how a command's outcome must look: `ok`, and for a failure its exit code, exactly one
  `error:` line, at most one `hint:` and the store as it was (`failure`, `refused`,
  `hidden`, `dump`);
- stores built through core, once, to be copied into each test (`acme_store`,
  `add_holders`, `copy_store`), read and checked after the fact (`intact`, `audit_trail`,
  `verify`, `rehash`), and SQLite stores as an older colabctl made them (`made_at`,
  `back_to`, `sqlite_schema`);
- the files a test hands to colabctl (`write`, `exported`);
- the translation pipeline, scripts/i18n.py (`i18n_pipeline`), a .po to change
  (`edit_po`) and a .mo's table to read (`mo_originals`);
- colabctl as a real process (`colabctl`, `colabctl_bytes`, `spawn`, `python`). A test
  that starts one must be slow (tests/conftest.py makes everything under tests/cli,
  tests/store and tests/i18n slow; elsewhere mark it), so that `pytest -m "not slow"`
  stays the quick tier: these helpers fail the test that is not.

Import from here (`from support import ...`); conftest re-exports the names it always had.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, overload

from typer.testing import CliRunner, Result

import colabctl as colabctl_package
from colabctl.cli import app
from colabctl.core import collaborators, profiles
from colabctl.core.accounts import create as create_account
from colabctl.core.catalog import catalog
from colabctl.core.clock import iso
from colabctl.core.session import Context
from colabctl.core.users import register
from colabctl.store import audit
from colabctl.store.db import SqliteConnection
from colabctl.store.engine import Target, open_for_write

ROOT = Path(__file__).resolve().parents[1]  # the checkout
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # where every FakeClock starts

# -- the cast -----------------------------------------------------------------------------------

OWNER = "ana.souza@example.com"  # owns acme-cursos in every prepared store
BOB = "bob.costa@example.com"  # bob and carla: the foundation's and the stores' people
CARLA = "carla.mendes@example.com"
BEA = "bea@example.com"  # bea ... zed: the collaborator lifecycle's, one per fate
CAIO = "caio@example.com"
DORA = "dora@example.com"
ELI = "eli@example.com"
FABI = "fabi@example.com"
GIA = "gia@example.com"  # her access to acme-cursos ends (time-boxed)
ZED = "zed@example.com"  # registered, belongs nowhere
FABIO = "fabio.lima@example.com"  # owns beta-digital where there is one
NOBODY = "nobody@example.com"  # never registered
BRUNO = "bruno.costa@example.com"  # in the demo store (core/demo.py), and a new face elsewhere

ACME = "acme-cursos"  # ana's legal-entity account
BETA = "beta-digital"
PLAIN = "acme"  # an account with no tax ID: not a legal entity
CNPJ = "11.222.333/0001-81"  # a valid Brazilian CNPJ (a legal entity)
OTHER_CNPJ = "11.444.777/0001-61"
GENESIS = "0" * 64  # the audit chain's hash before its first row
ES_CIF = "B58378431"  # a valid Spanish CIF

SOPORTE_HAS = "purchases.request_refunds"  # in the soporte preset, not in tecnico
TECNICO_HAS = "tools.listboss"  # in tecnico, not in soporte


def preset_ids(name: str) -> list[str]:
    """The permission ids of the shipped preset NAME (profiles/NAME.toml), in catalog order."""
    with open(ROOT / "profiles" / f"{name}.toml", "rb") as handle:
        ids = set(tomllib.load(handle)["permissions"])
    return [p.id for p in catalog().permissions if p.id in ids]


# -- the in-process command line ----------------------------------------------------------------


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Cli:
    runner: CliRunner

    def __call__(
        self, *args: str, input: str | None = None, env: dict[str, str] | None = None
    ) -> Result:
        return self.runner.invoke(app, list(args), input=input, env=env)


def write(path: Path, text: str | bytes) -> Path:
    """PATH holding TEXT (a str as UTF-8, bytes as they are), its missing folders made:
    a file a test hands to colabctl."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def as_owner(*args: str) -> tuple[str, ...]:
    """A command line run as the owner of the test accounts."""
    return ("--as", OWNER, *args)


def ctx_for(db_path: Target, actor: str | None, clock: Callable[[], datetime]) -> Context:
    return Context(db=str(db_path), actor=actor, clock=clock)


def exported(cli: Cli, account: str = ACME) -> str:
    """The owner's `export` of ACCOUNT: its team file as it stands."""
    text: str = ok(cli("--as", OWNER, "export", "-a", account)).stdout
    return text


def create_legal_account(cli: Cli, slug: str, name: str, *presets: str) -> str:
    """The logged-in user creates SLUG, a Brazilian legal entity, with a profile per preset."""
    ok(cli("account", "create", slug, "--name", name, "--tax-id", CNPJ, "--country", "BR"))
    for preset in presets:
        ok(cli("profile", "create", preset, "--preset", preset, "-a", slug))
    return slug


# -- what every command's outcome must look like ------------------------------------------------


def is_pg(target: Target) -> bool:
    """Is TARGET a PostgreSQL URL (else a SQLite file's path)?"""
    return isinstance(target, str)


def pg_connect(url: str) -> Any:
    """A plain psycopg connection (autocommit) to URL's database, its search_path on the
    store's schema: what a tamperer or an inspector would open."""
    import psycopg

    return psycopg.connect(url, autocommit=True)


def pg_tables(conn: Any) -> list[str]:
    """colabctl's tables in the connection's schema, in an order their foreign keys allow
    to fill (referenced tables first)."""
    needs: dict[str, set[str]] = {}
    for table, parent in conn.execute(
        "SELECT c.relname, p.relname FROM pg_class c"
        " LEFT JOIN pg_constraint f ON f.conrelid = c.oid AND f.contype = 'f'"
        " LEFT JOIN pg_class p ON p.oid = f.confrelid"
        " WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'"
    ):
        needs.setdefault(table, set())
        if parent is not None and parent != table:
            needs[table].add(parent)
    ordered: list[str] = []
    while needs:
        ready = sorted(name for name, parents in needs.items() if parents <= set(ordered))
        assert ready, needs
        ordered += ready
        for name in ready:
            del needs[name]
    return ordered


def exists(target: Target) -> bool:
    """Is there a store at TARGET (a SQLite file; colabctl's tables in the URL's schema)?"""
    if is_pg(target):
        assert isinstance(target, str)
        with pg_connect(target) as conn:
            found = conn.execute("SELECT to_regclass('colabctl_schema')").fetchone()
        return found[0] is not None
    assert isinstance(target, Path)
    return target.exists()


# Run before a test reads the store itself (dump, raw, audit_rows): on the bound engine
# (tests/bound.py) every registered user's login is bound first, so that what a test
# reads between two commands is only what the commands changed.
BEFORE_READ: list[Callable[[], None]] = []


def _settle() -> None:
    for hook in BEFORE_READ:
        hook()


def dump(path: Target) -> list[str]:
    """The store's whole content, to compare before and after a failure: SQLite's SQL
    dump of the file; on PostgreSQL every colabctl table's rows in a fixed order (each
    table's rows sorted as whole rows)."""
    _settle()
    if is_pg(path):
        assert isinstance(path, str)
        with pg_connect(path) as conn:
            lines: list[str] = []
            for table in sorted(pg_tables(conn)):
                lines.append(f"-- {table}")
                rows = conn.execute(f"SELECT * FROM {table} t ORDER BY t")
                lines += [f"{table}: {row!r}" for row in rows]
            return lines
    assert isinstance(path, Path)
    if not path.exists():
        return []
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def raw(target: Target, *statements: str | tuple[str, tuple[Any, ...]]) -> list[list[Any]]:
    """Statements (SQLite's dialect and placeholders, translated for PostgreSQL as colabctl
    does where the translation knows them, else as they are) on a plain autocommit
    connection, the way a tamperer would run them: each statement's rows."""
    _settle()
    found: list[list[Any]] = []
    if is_pg(target):
        import psycopg

        from colabctl.errors import InternalError
        from colabctl.store.pgsql import translate

        assert isinstance(target, str)
        with pg_connect(target) as conn:
            for statement in statements:
                sql, params = statement if isinstance(statement, tuple) else (statement, ())
                try:
                    translated = translate(sql)
                except InternalError:  # a tamperer's DDL, or PostgreSQL's own: as it is
                    cursor = conn.execute(sql.replace("?", "%s") if params else sql, params or None)
                else:
                    cursor = psycopg.RawCursor(conn)
                    cursor.execute(translated.text, translated.arguments(params))
                found.append(list(cursor.fetchall()) if cursor.description else [])
        return found
    conn = sqlite3.connect(target, isolation_level=None)
    try:
        for statement in statements:
            sql, params = statement if isinstance(statement, tuple) else (statement, ())
            found.append(conn.execute(sql, params).fetchall())
    finally:
        conn.close()
    return found


def db_refuses(
    target: Target, *statements: str | tuple[str, tuple[Any, ...]], match: str = ""
) -> None:
    """The database itself (a trigger or a constraint) refuses one of STATEMENTS (run as
    `raw` does, so that a BEGIN among them holds the rest in one transaction, rolled back
    with the refusal), saying MATCH."""
    try:
        raw(target, *statements)
    except Exception as exc:
        import psycopg

        assert isinstance(exc, sqlite3.DatabaseError | psycopg.Error), repr(exc)
        assert re.search(match, str(exc)), str(exc)
    else:
        raise AssertionError(f"the database accepted {statements!r}")


def drop_guards(target: Target, *names: str) -> list[str]:
    """Take away the database's own guards, as an attacker with the file or the tables'
    owner could: the triggers NAMES (default: every guard trigger) are dropped on SQLite,
    disabled on PostgreSQL (where the triggers that number new rows are no guards and
    stay). Returns the names taken away."""
    if is_pg(target):
        (found,) = raw(
            target,
            "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal"
            " AND c.relkind = 'r' AND t.tgname NOT LIKE '%\\_next\\_id'",
        )
        chosen = [(name, table) for name, table in found if not names or name in names]
        raw(target, *(f"ALTER TABLE {table} DISABLE TRIGGER {name}" for name, table in chosen))
        taken = [name for name, _ in chosen]
    else:
        (found,) = raw(target, "SELECT name FROM sqlite_master WHERE type = 'trigger'")
        taken = [name for (name,) in found if not names or name in names]
        raw(target, *(f"DROP TRIGGER {name}" for name in taken))
    assert not names or set(taken) == set(names), (names, taken)
    return taken


def ok(result: Result, code: int = 0) -> Result:
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    return result


def as_json(result: Result) -> Any:
    """The one JSON document on stdout of a successful command (json.loads refuses anything
    around it)."""
    ok(result)
    return json.loads(result.stdout)


def error_lines(
    exit_code: int, stdout: str, stderr: str, *codes: int, hint: str | None = None
) -> tuple[str, str | None]:
    """One of `codes`, nothing on stdout, no traceback, exactly one printable `error:` line
    and at most a `hint:` (holding `hint`, if given). Returns the error and hint lines."""
    assert exit_code in codes, (exit_code, stdout, stderr)
    assert stdout == ""
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert 1 <= len(lines) <= 2, lines
    assert lines[0].startswith("error: "), lines
    assert all(line.startswith("hint: ") for line in lines[1:]), lines
    # one line means one line on the terminal too: nothing that moves the cursor, erases,
    # or reorders text (newline, CR, ESC, NUL, bidi overrides) gets through unescaped
    for line in lines:
        assert line.isprintable(), ascii(line)
    if hint is not None:
        assert len(lines) == 2 and hint in lines[1], f"expected a hint naming {hint!r}: {lines}"
    return lines[0], lines[1] if len(lines) == 2 else None


def verify(cli: Cli, *args: str) -> tuple[int, dict[str, Any], str]:
    """`audit verify ARGS` with and without --json: the same exit code and no traceback.
    Its exit code, the JSON verdict and the text."""
    as_json = cli("audit", "verify", "--json", *args)
    text = cli("audit", "verify", *args)
    assert as_json.exit_code == text.exit_code, (as_json.stdout, text.stdout)
    assert "Traceback" not in as_json.stderr + text.stderr
    return as_json.exit_code, json.loads(as_json.stdout), text.stdout


def failure(result: Result, *codes: int, hint: str | None = None) -> tuple[str, str | None]:
    """`error_lines` for an in-process run, which must also have ended by a clean exit."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return error_lines(result.exit_code, result.stdout, result.stderr, *codes, hint=hint)


def refused(
    cli: Cli, db_path: Target, code: int, *args: str, hint: str | None = None, **kw: Any
) -> Result:
    """Run a command that must fail with `code` and leave the store exactly as it was."""
    before = dump(db_path)
    result = cli(*args, **kw)
    failure(result, code, hint=hint)
    assert dump(db_path) == before, f"{args} changed the store"
    return result


def hidden(cli: Cli, db_path: Target, slug: str, *args: str) -> Result:
    """An outsider's command about SLUG: refused with exactly what a missing account gets
    (exit 3, the same two lines), so it tells them nothing, not even that SLUG exists."""
    result = refused(cli, db_path, 3, *args)
    assert result.stderr.splitlines() == [
        f'error: no account "{slug}"',
        "hint: `colabctl account list` shows yours",
    ], result.stderr
    return result


# -- stores built once, copied into each test ---------------------------------------------------


@overload
def acme_store(
    db: Path, clock: Callable[[], datetime] | None = None, *, with_bob: bool = True
) -> Path: ...
@overload
def acme_store(
    db: Target, clock: Callable[[], datetime] | None = None, *, with_bob: bool = True
) -> Target: ...
def acme_store(
    db: Target, clock: Callable[[], datetime] | None = None, *, with_bob: bool = True
) -> Target:
    """Build DB through core: ana (Ana Souza) owns acme-cursos (Acme Cursos), a Brazilian
    legal entity with the soporte and tecnico profiles; bob is active in soporte unless
    `with_bob` is false. Every connection is closed: the file alone is the store."""
    clock = clock or FakeClock()
    owner = Context(db=str(db), actor=OWNER, clock=clock)
    register(owner, OWNER, name="Ana Souza")
    create_account(owner, ACME, "Acme Cursos", tax_id=CNPJ, country="BR")
    profiles.create(owner, "soporte", preset="soporte", account=ACME)
    profiles.create(owner, "tecnico", preset="tecnico", account=ACME)
    if with_bob:
        collaborators.invite(owner, BOB, profile="soporte", account=ACME)
        collaborators.accept(Context(db=str(db), actor=BOB, clock=clock), ACME)
    return db


def add_holders(
    db: Target, count: int, *, active_every: int = 0, clock: Callable[[], datetime] | None = None
) -> list[str]:
    """COUNT more holders of acme-cursos' soporte (holder0000@example.com, ...), pending, or
    active for every `active_every`-th, with the rows and audit entries their invitation
    (and acceptance) leaves, in one write transaction: thousands through core would take
    minutes. Returns their emails."""
    now = iso((clock or FakeClock())())
    expires = "2099-01-01T00:00:00Z"
    emails = [f"holder{i:04d}@example.com" for i in range(count)]
    store = open_for_write(db)
    try:
        with store.transaction():
            conn = store.conn
            (account_id, owner_id) = conn.execute(
                "SELECT id, owner_id FROM accounts WHERE slug = ?", (ACME,)
            ).fetchone()
            (soporte_id,) = conn.execute(
                "SELECT id FROM profiles WHERE account_id = ? AND name = 'soporte'",
                (account_id,),
            ).fetchone()
            for i, email in enumerate(emails):
                active = bool(active_every) and i % active_every == 0
                user_id = conn.execute(
                    "INSERT INTO users (email, email_key, created_at) VALUES (?, ?, ?)"
                    " RETURNING id",
                    (email, email, now),
                ).fetchone()[0]
                conn.execute(
                    "INSERT INTO memberships (account_id, user_id, profile_id, status,"
                    " invited_by, invited_at, expires_at, responded_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        account_id,
                        user_id,
                        soporte_id,
                        "active" if active else "pending",
                        owner_id,
                        now,
                        expires,
                        now if active else None,
                    ),
                )
                audit.append(
                    conn,
                    at=now,
                    actor=OWNER,
                    account=ACME,
                    action="invitation.create",
                    target=email,
                    details={"profile": "soporte", "expires_at": expires, "new_user": True},
                )
                if active:
                    audit.append(
                        conn,
                        at=now,
                        actor=email,
                        account=ACME,
                        action="invitation.accept",
                        target=email,
                        details={"profile": "soporte"},
                    )
    finally:
        store.close()
    return emails


def rehash(row: Mapping[str, Any], prev_hash: str) -> str:
    """An audit row's hash as docs/storage.md defines it, worked out apart from colabctl:
    SHA-256 over the previous hash and the row's canonical content."""
    import hashlib

    content = {k: row[k] for k in ("seq", "at", "actor", "account", "action", "target")}
    content["details"] = row["details"]
    if row.get("db_login") is not None:  # the login that wrote it, on PostgreSQL (m008)
        content["db_login"] = row["db_login"]
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + text).encode("utf-8")).hexdigest()


def audit_rows(db_path: Target) -> list[dict[str, Any]]:
    """Every audit row, oldest first, read with a plain connection."""
    _settle()
    if is_pg(db_path):
        assert isinstance(db_path, str)
        with pg_connect(db_path) as conn:
            cursor = conn.execute("SELECT * FROM audit ORDER BY seq")
            names = [c.name for c in cursor.description]
            return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM audit ORDER BY seq")]
    finally:
        conn.close()


def audit_trail(db_path: Target, *columns: str) -> list[tuple[Any, ...]]:
    """COLUMNS of every audit row, oldest first, read with a plain connection; `details`
    parsed from its JSON."""
    (rows,) = raw(db_path, f"SELECT {', '.join(columns)} FROM audit ORDER BY seq")
    at = columns.index("details") if "details" in columns else None
    if at is None:
        return [tuple(row) for row in rows]
    return [(*row[:at], json.loads(row[at]), *row[at + 1 :]) for row in rows]


def side(db: Path, suffix: str) -> Path:
    """A SQLite store's side file: side(db, "-wal")."""
    return db.with_name(db.name + suffix)


@overload
def copy_store(template: Path, db: Path) -> Path: ...
@overload
def copy_store(template: Target, db: str) -> str: ...
@overload
def copy_store(template: Target, db: Target) -> Target: ...
def copy_store(template: Target, db: Target) -> Target:
    """Copy a cleanly closed store over DB. SQLite: the file (no -wal to copy), dropping
    DB's side files. PostgreSQL: DB's schema is migrated (empty), then every table's rows
    are copied from TEMPLATE's schema in one transaction, in foreign-key order; the audit
    rows go through the audit_append view, oldest first, so that the database's guards
    stay on and move the head one linked row at a time, as colabctl's own writes do."""
    if is_pg(db):
        assert isinstance(template, str) and isinstance(db, str)
        _copy_pg(template, db)
        return db
    assert isinstance(template, Path) and isinstance(db, Path)
    for suffix in ("-wal", "-shm"):
        side(db, suffix).unlink(missing_ok=True)
    db.write_bytes(template.read_bytes())
    return db


def pg_schema(url: str) -> str:
    """The schema a test URL puts first on its search_path (tests/conftest.py `pg_url`)."""
    found = re.search(r"search_path%3D(\w+)", url)
    assert found is not None, "a test URL names its schema"
    return found.group(1)


_PG_SKIP = {"audit", "audit_head", "colabctl_schema", "_sqlite_migrations"}


def _copy_pg(template: str, db: str) -> None:
    from colabctl.store import pg_migrations

    source = pg_schema(template)
    with pg_connect(db) as conn, conn.transaction():
        pg_migrations.apply_pending(conn)  # the empty schema, up to date
        for table in pg_tables(conn):
            if table not in _PG_SKIP:
                conn.execute(f"INSERT INTO {table} SELECT * FROM {source}.{table}")
        columns = ", ".join(
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema ="
                " current_schema() AND table_name = 'audit_append' ORDER BY ordinal_position"
            )
        )
        conn.execute(
            f"INSERT INTO audit_append ({columns}) SELECT {columns} FROM {source}.audit"
            " ORDER BY seq"
        )


def pg_back_to(source: str, old: str, stop_before: str) -> None:
    """`back_to` on PostgreSQL: the empty schema of the URL OLD made by every migration
    before STOP_BEFORE, then filled with the rows of the store at the URL SOURCE (the
    columns that schema has), the audit rows through its audit_append, in order."""
    from colabctl.store import pg_migrations

    with pg_connect(old) as conn, conn.transaction():
        for statement in pg_migrations.BOOKKEEPING:
            conn.execute(statement)
        for name, steps in pg_migrations.MIGRATIONS:
            if name == stop_before:
                break
            for step in steps:
                if callable(step):  # (m009's checkpoint: none, on an empty store)
                    step(conn)
                else:
                    conn.execute(step)
            conn.execute("INSERT INTO _sqlite_migrations VALUES ('colabctl', %s, 'then')", (name,))
        for (table,) in conn.execute(
            "SELECT c.relname FROM pg_class c WHERE c.relkind = 'r'"
            " AND c.relnamespace = current_schema()::regnamespace ORDER BY c.oid"
        ).fetchall():
            if table not in _PG_SKIP:
                columns = _pg_columns(conn, table)
                conn.execute(
                    f"INSERT INTO {table} ({columns})"
                    f" SELECT {columns} FROM {pg_schema(source)}.{table}"
                )
        columns = _pg_columns(conn, "audit_append")
        conn.execute(
            f"INSERT INTO audit_append ({columns}) SELECT {columns}"
            f" FROM {pg_schema(source)}.audit ORDER BY seq"
        )


def _pg_columns(conn: Any, table: str) -> str:
    return ", ".join(
        r[0]
        for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema ="
            " current_schema() AND table_name = %s ORDER BY ordinal_position",
            (table,),
        )
    )


# -- SQLite stores made at an older schema (the migrations' tests) -------------------------------


def made_at(path: Path, stop_before: str | None) -> None:
    """A new SQLite store at PATH made by every migration before STOP_BEFORE (None: by all
    of them): a store as an older colabctl wrote it."""
    from sqlite_utils import Database

    from colabctl.store.migrations import migrations

    db = Database(sqlite3.connect(path, isolation_level=None))
    db.execute("BEGIN IMMEDIATE")
    migrations.apply(db, stop_before=stop_before)
    db.execute("COMMIT")
    db.close()


def sqlite_schema(path: Path) -> set[tuple[str, str]]:
    """Every table, index, view and trigger of a SQLite file: its name and its SQL, spaces
    folded (the migrations' own bookkeeping table aside)."""
    conn = sqlite3.connect(path)
    try:
        return {
            (r[0], " ".join(r[1].split()))
            for r in conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL"
                " AND name != '_sqlite_migrations'"
            )
        }
    finally:
        conn.close()


def back_to(db_path: Path, stop_before: str) -> None:
    """The rows of the SQLite store DB_PATH in a store made by every migration before
    STOP_BEFORE, put in its place: each table's rows copied (the columns that schema has;
    later migrations need no undoing, they are simply not applied), the audit rows, in
    order, through that schema's audit_append where it has one, so that its guarded head
    follows them."""
    old = db_path.with_name(f"before-{stop_before}.db")
    made_at(old, stop_before)
    conn = sqlite3.connect(old, isolation_level=None)
    try:
        conn.execute("ATTACH ? AS new", (str(db_path),))
        conn.execute("BEGIN")
        names = {r[0] for r in conn.execute("SELECT name FROM main.sqlite_master")}
        appended = "audit_append" in names  # else audit is a table like any other
        skipped = ("_sqlite_migrations", *(("audit", "audit_head") if appended else ()))
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM main.sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
            )
            if name not in skipped
        ]
        for table in tables:
            columns = ", ".join(r[1] for r in conn.execute(f"PRAGMA main.table_info({table})"))
            conn.execute(f"INSERT INTO main.{table} ({columns}) SELECT {columns} FROM new.{table}")
        if appended:
            columns = ", ".join(r[1] for r in conn.execute("PRAGMA main.table_info(audit)"))
            conn.execute(
                f"INSERT INTO main.audit_append ({columns})"
                f" SELECT {columns} FROM new.audit ORDER BY seq"
            )
        conn.execute("COMMIT")
        conn.execute("DETACH new")
    finally:
        conn.close()
    for suffix in ("-wal", "-shm"):
        side(db_path, suffix).unlink(missing_ok=True)
    old.replace(db_path)


def intact(db: Target) -> None:
    """The database's own checks pass (SQLite: integrity and foreign keys; PostgreSQL
    enforces its constraints on every write), and the audit chain verifies."""
    if is_pg(db):
        from colabctl.store.postgres import connect

        assert isinstance(db, str)
        pg = connect(db)
        try:
            verdict = audit.verify(pg)
        finally:
            pg.close()
        assert verdict.intact, verdict
        return
    conn = sqlite3.connect(db, factory=SqliteConnection)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        verdict = audit.verify(conn)
    finally:
        conn.close()
    assert verdict.intact, verdict


# -- colabctl as a real process -----------------------------------------------------------------

COLABCTL = (sys.executable, "-m", "colabctl")
_slow = [True]  # is the running test marked slow? (set by conftest before each test)


def running_slow(marked: bool) -> None:
    _slow[0] = marked


def _processes_allowed() -> None:
    assert _slow[0], (
        "this test starts a process: mark it @pytest.mark.slow (or its module"
        " `pytestmark = pytest.mark.slow`), so that `pytest -m 'not slow'` stays quick"
    )


def process_env(db: Target | None = None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a child process. Without DB, this one's (in a test: what the
    `isolated` fixture set). With DB, this one's less every COLABCTL_ variable, the store DB
    and its config (a SQLite file's: config.toml beside it; a URL's: this process's
    COLABCTL_CONFIG), and no colour."""
    if db is None:
        env = dict(os.environ)
    else:
        config = (
            str(db.parent / "config.toml")
            if isinstance(db, Path)
            else os.environ.get("COLABCTL_CONFIG", "")
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("COLABCTL_")}
        env.update(COLABCTL_DB=str(db), COLABCTL_CONFIG=config, NO_COLOR="1")
    env.update(extra or {})
    return env


def colabctl(
    *args: str,
    db: Target | None = None,
    input: str | None = None,
    env: Mapping[str, str] | None = None,
    preexec: Callable[[], None] | None = None,
    python_options: tuple[str, ...] = (),
    stdout: int = subprocess.PIPE,
) -> subprocess.CompletedProcess[str]:
    """`python -m colabctl ARGS` on the store DB (see `process_env`), to its end. Its
    output is captured unless STDOUT names a file descriptor to write to instead."""
    _processes_allowed()
    return subprocess.run(
        [sys.executable, *python_options, "-m", "colabctl", *args],
        env=process_env(db, env),
        input=input,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        timeout=60,
        preexec_fn=preexec,
        check=False,
    )


def colabctl_bytes(*args: bytes, db: Path) -> subprocess.CompletedProcess[bytes]:
    """`colabctl` with an argv of raw bytes (not necessarily UTF-8); output as bytes."""
    _processes_allowed()
    return subprocess.run(
        [os.fsencode(part) for part in COLABCTL] + list(args),
        env=process_env(db),
        capture_output=True,
        timeout=60,
        check=False,
    )


def spawn(
    *args: str,
    db: Target,
    stdout: int = subprocess.DEVNULL,
    env: Mapping[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start `python -m colabctl ARGS` and return at once (stdout dropped unless STDOUT
    says otherwise, stderr piped)."""
    _processes_allowed()
    return subprocess.Popen(
        [*COLABCTL, *args],
        env=process_env(db, env),
        stdout=stdout,
        stderr=subprocess.PIPE,
    )


def python(
    *args: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    preexec: Callable[[], None] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """This interpreter run with ARGS (`-c CODE ...`, `-m pip ...`), to its end; the
    environment is ENV, else this process's."""
    _processes_allowed()
    return subprocess.run(
        [sys.executable, *args],
        env=dict(env) if env is not None else None,
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        preexec_fn=preexec,
        check=False,
    )


def python_with_colabctl(code: str) -> str:
    """Run CODE (`python -c`) with this colabctl first on the path; what it printed."""
    src = str(Path(colabctl_package.__file__).resolve().parents[1])
    path = os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])
    done = python("-c", code, env={**os.environ, "PYTHONPATH": path})
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


# (arguments, exit code, text the error or its hint must contain)
Failure = tuple[list[str], int, str | None]


def failure_id(row: Failure) -> str:
    return "-".join(str(part)[:60] for part in row)


def fails_as_listed(
    cli: Cli,
    db_path: Target,
    world: Mapping[str, str],
    args: list[str],
    code: int,
    needle: str | None,
) -> None:
    """One row of a failure table over the `world` fixture: ARGS ({export} and the like are
    the world's files) exit CODE with the one `error:` line, naming NEEDLE in it or its hint,
    and leave the store as it was. Exit 2 is Typer's own usage error: no `error:` contract,
    still nothing written."""
    args = [a.format(**world) if a.startswith("{") else a for a in args]
    before = dump(db_path)
    result = cli(*args)
    if code == 2:
        assert result.exit_code == 2
        assert "Traceback" not in result.stderr
    else:
        error, hint = failure(result, code)
        if needle is not None:
            assert needle.format(**world) in f"{error}\n{hint or ''}"
    assert dump(db_path) == before


# A policy test file (docs/policy-tests.md) of bob's allows and denies and one [[only]],
# and the team file that alone declares the same account (tests/core/policy).
POLICY_CHECKS = f"""# what bob may do
[[check]]
account = "{ACME}"
user = "{BOB}"
allow = ["{SOPORTE_HAS}"]
deny = ["{TECNICO_HAS}", "Retirar"]

[[only]]
account = "{ACME}"
permission = "{SOPORTE_HAS}"
holders = ["owner", "profile:soporte"]
"""
POLICY_TEAM = f"""version = 1
[accounts.{ACME}]
name = "Acme"
owner = "{OWNER}"
tax_id = {{ country = "BR", number = "11.222.333/0001-81" }}
[accounts.{ACME}.profiles.soporte]
preset = "soporte"
[accounts.{ACME}.collaborators]
"{BOB}" = "soporte"
"""


# -- the translations ------------------------------------------------------------------------


def i18n_pipeline() -> Any:
    """scripts/i18n.py (extract, update, compile, check), loaded as a module."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("i18n_pipeline", ROOT / "scripts" / "i18n.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def edit_po(po: Path, msgid: str, **change: object) -> None:
    """Change message MSGID of the .po file PO (locale/<lang>/LC_MESSAGES/colabctl.po):
    `fuzzy=True` marks it fuzzy, any other keyword sets that attribute (`string=""`:
    untranslated)."""
    from babel.messages.pofile import read_po, write_po

    with open(po, "rb") as found:
        catalog = read_po(found, locale=po.parent.parent.name)
    message = catalog[msgid]
    assert message is not None, msgid
    for name, value in change.items():
        if name == "fuzzy":
            message.flags.add("fuzzy")
        else:
            setattr(message, name, value)
    with open(po, "wb") as out:
        write_po(out, catalog)


def mo_originals(mo: bytes) -> list[bytes]:
    """The originals (message ids) of the .mo file MO, in the order of its table."""
    import struct

    order = "<" if mo[:4] == b"\xde\x12\x04\x95" else ">"
    count, originals = struct.unpack_from(f"{order}2I", mo, 8)
    pairs = struct.iter_unpack(f"{order}2I", mo[originals : originals + 8 * count])
    return [mo[offset : offset + length] for length, offset in pairs]
