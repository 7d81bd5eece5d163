"""The schema on PostgreSQL: the same migrations as store/migrations.py, by the same
numbers and names, in PostgreSQL's dialect. Append-only: never edit one that shipped.

The version lives in `colabctl_schema` (one row), as `PRAGMA user_version` does on
SQLite, and each applied migration is recorded in `_sqlite_migrations` under the same
migration set name sqlite-utils uses, so both engines answer "which migrations ran" alike.
Timestamps stay ISO 8601 text in both engines: they sort, compare and hash the same.

What SQLite does by itself is spelt out here (docs/storage.md, "The schema on PostgreSQL"):
- Every TEXT column is `COLLATE "C"`: ordering and comparison are byte order, as in
  SQLite, whatever the database's locale (`'Z' < 'a'`, `'é'` after `'z'`).
- Integers are BIGINT. An `INTEGER PRIMARY KEY` row left without an id gets max(id)+1
  on SQLite, and colabctl's bulk paths insert explicit ids computed the same way, mixed
  with inserts that leave the id out. IDENTITY or serial would not see the explicit ids
  (the sequence does not advance) and hand out one that is taken, so each id table has a
  BEFORE INSERT trigger that sets max(id)+1 when the id is left out. Writers are
  serialised by the advisory lock (store/postgres.py), so two never compute the same.
- Triggers are PL/pgSQL functions (a trigger's WHEN cannot hold a subquery) raising the
  messages of SQLite's triggers, with SQLSTATE 23000 (integrity_constraint_violation):
  psycopg's IntegrityError, as SQLite's RAISE(ABORT) is sqlite3.IntegrityError.
- Nothing is schema-qualified: every object goes into the connection's current schema
  (its search_path), functions included, so several stores can share one database. Each
  trigger function is pinned to that schema when it is created (`_pinned`), so what it
  reads does not depend on the writer's search_path or temporary tables.

`apply_pending(conn)` runs inside a transaction its caller opened (BEGIN on an
autocommit connection); `schema_version(conn)` reads the version without writing.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, cast

from colabctl.errors import StoreFault
from colabctl.i18n import _
from colabctl.store import pg_security

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import psycopg

    from colabctl.store.sql import Connection

    # A step of a migration: SQL, or a function of the connection (m009).
    Statement = str | Callable[[psycopg.Connection[Any]], None]

MIGRATION_SET = "colabctl"
GRANTS_SINCE = 10  # the schema version (m010) from which `store bind` grants

# Tables whose rows get an integer `id` from the database when an insert leaves it out
# (a BEFORE INSERT trigger: max(id)+1, as SQLite's INTEGER PRIMARY KEY).
ID_TABLES = frozenset({"users", "accounts", "profiles", "memberships", "transfers", "review_acks"})

BOOKKEEPING = [
    "CREATE TABLE IF NOT EXISTS colabctl_schema (version BIGINT NOT NULL)",
    """
    CREATE TABLE IF NOT EXISTS _sqlite_migrations (
        migration_set TEXT COLLATE "C" NOT NULL,
        name TEXT COLLATE "C" NOT NULL,
        applied_at TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (migration_set, name)
    )
    """,
    "INSERT INTO colabctl_schema (version) SELECT 0 WHERE NOT EXISTS (SELECT FROM colabctl_schema)",
]


def _version(number: int) -> str:
    """Each migration's last statement: what `PRAGMA user_version = N` is on SQLite."""
    return f"UPDATE colabctl_schema SET version = {number}"


def _refuse(function: str, message: str) -> str:
    """A trigger function that refuses whatever fires it, with SQLite's message."""
    return f"""
    CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{message}' USING ERRCODE = 'integrity_constraint_violation';
    END
    $$
    """


def _next_id(table: str) -> list[str]:
    """max(id)+1 for a row inserted without an id, as SQLite's INTEGER PRIMARY KEY."""
    return [
        f"""
        CREATE FUNCTION colabctl_{table}_next_id() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.id := (SELECT coalesce(max(id), 0) + 1 FROM {table});
            RETURN NEW;
        END
        $$
        """,
        f"""
        CREATE TRIGGER {table}_next_id BEFORE INSERT ON {table}
            FOR EACH ROW WHEN (NEW.id IS NULL) EXECUTE FUNCTION colabctl_{table}_next_id()
        """,
    ]


def _signature(function: str) -> str:
    """A function named for ALTER FUNCTION: its signature as given, `()` if none is."""
    return function if "(" in function else f"{function}()"


def _pinned(*functions: str) -> str:
    """Each trigger function runs with its own search_path: the store's schema, then
    pg_catalog, then pg_temp. A path that does not name pg_temp searches the session's
    temporary tables first, even before pg_catalog, so without this a login could hand the
    guards a store_bindings, audit_head or pg_class of its own making. The schema is the
    current one when the migration runs: nothing here names it. (Renaming the schema
    afterwards leaves the guards failing, closed, until they are pinned again.)"""
    alters = "".join(
        f"EXECUTE format('ALTER FUNCTION {_signature(function)} SET search_path = %I,"
        " pg_catalog, pg_temp', current_schema());"
        for function in functions
    )
    return f"DO $$ BEGIN {alters} END $$"


M001 = [
    """
    CREATE TABLE users (
        id BIGINT PRIMARY KEY,
        email TEXT COLLATE "C" NOT NULL,
        email_key TEXT COLLATE "C" NOT NULL UNIQUE,
        name TEXT COLLATE "C",
        created_at TEXT COLLATE "C" NOT NULL
    )
    """,
    *_next_id("users"),
    """
    CREATE TABLE accounts (
        id BIGINT PRIMARY KEY,
        slug TEXT COLLATE "C" NOT NULL UNIQUE,
        name TEXT COLLATE "C" NOT NULL,
        owner_id BIGINT NOT NULL REFERENCES users(id),
        tax_country TEXT COLLATE "C",
        tax_id TEXT COLLATE "C",
        created_at TEXT COLLATE "C" NOT NULL,
        CHECK ((tax_country IS NULL) = (tax_id IS NULL))
    )
    """,
    *_next_id("accounts"),
    "CREATE INDEX accounts_owner ON accounts(owner_id)",
    """
    CREATE TABLE profiles (
        id BIGINT PRIMARY KEY,
        account_id BIGINT NOT NULL REFERENCES accounts(id),
        name TEXT COLLATE "C" NOT NULL,
        description TEXT COLLATE "C" NOT NULL DEFAULT '',
        title TEXT COLLATE "C",
        created_at TEXT COLLATE "C" NOT NULL,
        UNIQUE (account_id, name)
    )
    """,
    *_next_id("profiles"),
    """
    CREATE TABLE profile_permissions (
        profile_id BIGINT NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
        permission TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (profile_id, permission)
    )
    """,
    """
    CREATE TABLE memberships (
        id BIGINT PRIMARY KEY,
        account_id BIGINT NOT NULL REFERENCES accounts(id),
        user_id BIGINT NOT NULL REFERENCES users(id),
        profile_id BIGINT REFERENCES profiles(id) ON DELETE SET NULL,
        status TEXT COLLATE "C" NOT NULL
            CHECK (status IN ('pending', 'active', 'expired', 'declined', 'revoked')),
        invited_by BIGINT REFERENCES users(id),
        invited_at TEXT COLLATE "C" NOT NULL,
        expires_at TEXT COLLATE "C" NOT NULL,
        responded_at TEXT COLLATE "C",
        ended_at TEXT COLLATE "C",
        CHECK (profile_id IS NOT NULL OR status NOT IN ('pending', 'active'))
    )
    """,
    *_next_id("memberships"),
    """
    CREATE UNIQUE INDEX memberships_live
        ON memberships(account_id, user_id) WHERE status IN ('pending', 'active')
    """,
    "CREATE INDEX memberships_user ON memberships(user_id, account_id)",
    "CREATE INDEX memberships_profile ON memberships(profile_id)",
    "CREATE INDEX memberships_due ON memberships(expires_at) WHERE status = 'pending'",
    """
    CREATE TABLE audit (
        seq BIGINT PRIMARY KEY,
        at TEXT COLLATE "C" NOT NULL,
        actor TEXT COLLATE "C",
        account TEXT COLLATE "C",
        action TEXT COLLATE "C" NOT NULL,
        target TEXT COLLATE "C",
        details TEXT COLLATE "C" NOT NULL,
        prev_hash TEXT COLLATE "C" NOT NULL,
        hash TEXT COLLATE "C" NOT NULL
    )
    """,
    "CREATE INDEX audit_account ON audit(account, seq)",
    _refuse("colabctl_audit_append_only", "audit rows are append-only"),
    """
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        FOR EACH ROW EXECUTE FUNCTION colabctl_audit_append_only()
    """,
    """
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        FOR EACH ROW EXECUTE FUNCTION colabctl_audit_append_only()
    """,
    # TRUNCATE fires no row trigger: SQLite has no TRUNCATE, PostgreSQL needs its own.
    """
    CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
        FOR EACH STATEMENT EXECUTE FUNCTION colabctl_audit_append_only()
    """,
    _pinned(
        "colabctl_users_next_id",
        "colabctl_accounts_next_id",
        "colabctl_profiles_next_id",
        "colabctl_memberships_next_id",
        "colabctl_audit_append_only",
    ),
    _version(1),
]

M002 = [
    "CREATE INDEX memberships_account ON memberships(account_id, user_id)",
    _version(2),
]

# The skeleton column and its index only. SQLite's m003 also recomputes every stored
# email_key under the new identity rule, but no PostgreSQL store can hold keys made by
# the old rule: PostgreSQL support came after m003, so every store there starts with
# store/keys.email_key's keys.
M003 = [
    'ALTER TABLE users ADD COLUMN skeleton TEXT COLLATE "C"',
    "CREATE INDEX users_skeleton ON users(skeleton)",
    _version(3),
]

M004 = [
    """
    CREATE TABLE audit_head (
        id BIGINT PRIMARY KEY CHECK (id = 1),
        seq BIGINT NOT NULL CHECK (seq >= 0),
        hash TEXT COLLATE "C" NOT NULL
    )
    """,
    """
    INSERT INTO audit_head (id, seq, hash)
    SELECT 1, coalesce(max(seq), 0),
           coalesce((SELECT hash FROM audit ORDER BY seq DESC LIMIT 1), repeat('0', 64))
    FROM audit
    """,
    _refuse("colabctl_audit_head_kept", "the audit head is never deleted"),
    """
    CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
        FOR EACH ROW EXECUTE FUNCTION colabctl_audit_head_kept()
    """,
    """
    CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
        FOR EACH STATEMENT EXECUTE FUNCTION colabctl_audit_head_kept()
    """,
    _refuse("colabctl_audit_head_one", "the audit head is one record"),
    """
    CREATE TRIGGER audit_head_no_insert BEFORE INSERT ON audit_head
        FOR EACH ROW EXECUTE FUNCTION colabctl_audit_head_one()
    """,
    # The head moves forward over any number of rows at once, never once per row: each
    # UPDATE of the one head row leaves a version that every later read of it walks until
    # the transaction ends, so a row-by-row head made a bulk append quadratic
    # (bench/pg_audit_append.py). Rows join at the end of the chain (audit_follows_head),
    # linked to it, so the rows past the head always form a chain from the head; the head
    # moves onto one of them (audit_head_forward), and a transaction that leaves a row past
    # the head fails at COMMIT (audit_head_covers). docs/storage.md, "The schema on
    # PostgreSQL".
    """
    CREATE FUNCTION colabctl_audit_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.id IS DISTINCT FROM OLD.id
           OR NEW.seq IS NULL OR NEW.seq <= OLD.seq
           OR NOT EXISTS (SELECT 1 FROM audit WHERE seq = NEW.seq AND hash = NEW.hash)
           OR NOT EXISTS (SELECT 1 FROM audit WHERE seq = OLD.seq + 1 AND prev_hash = OLD.hash)
        THEN
            RAISE EXCEPTION 'the audit head only moves forward, onto a row of the chain it heads'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER audit_head_forward BEFORE UPDATE ON audit_head
        FOR EACH ROW EXECUTE FUNCTION colabctl_audit_head_forward()
    """,
    # An INSERT ... ON CONFLICT DO UPDATE over an old row is an UPDATE: audit_no_update.
    # One query, two index lookups a row: the head (one live version while a bulk append
    # runs) and the last row past it. With no row past it, the head itself is the end
    # (after a cut tail too: the next row then leaves the gap that `audit verify` names,
    # as on SQLite).
    """
    CREATE FUNCTION colabctl_audit_follows_head() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        end_seq BIGINT;
        end_hash TEXT;
    BEGIN
        -- (no head record: no row here, both stay NULL and the row is refused)
        SELECT coalesce(past.seq, head.seq), coalesce(past.hash, head.hash)
            INTO end_seq, end_hash
            FROM audit_head AS head LEFT JOIN LATERAL (
                SELECT seq, hash FROM audit WHERE seq > head.seq ORDER BY seq DESC LIMIT 1
            ) AS past ON true;
        IF NEW.seq IS DISTINCT FROM end_seq + 1 OR NEW.prev_hash IS DISTINCT FROM end_hash THEN
            RAISE EXCEPTION 'an audit row is only appended at the end of the chain'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER audit_follows_head BEFORE INSERT ON audit
        FOR EACH ROW EXECUTE FUNCTION colabctl_audit_follows_head()
    """,
    # Checked at COMMIT, for each row the transaction inserted. A row with a later row
    # after it is covered when that one is: a later row is either this transaction's own
    # (checked in turn) or committed by another, whose COMMIT found it covered by a head
    # that only moves forward (no one inserts past a row another has not yet committed:
    # both would take its seq). So only the transaction's last row reads the head, which
    # a row-by-row append (the view) has moved once per row, leaving as many versions.
    """
    CREATE FUNCTION colabctl_audit_head_covers() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- (max(): one step down the primary key, whatever plan the function caches)
        IF (SELECT max(seq) FROM audit) > NEW.seq THEN
            RETURN NULL;  -- covered if the later row is
        END IF;
        IF NOT EXISTS (SELECT 1 FROM audit_head WHERE seq >= NEW.seq) THEN
            RAISE EXCEPTION 'a transaction left audit row % past the head', NEW.seq
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE CONSTRAINT TRIGGER audit_head_covers AFTER INSERT ON audit
        DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION colabctl_audit_head_covers()
    """,
    _pinned(
        "colabctl_audit_head_kept",
        "colabctl_audit_head_one",
        "colabctl_audit_head_forward",
        "colabctl_audit_follows_head",
        "colabctl_audit_head_covers",
    ),
    _version(4),
]

M005 = [
    'ALTER TABLE memberships ADD COLUMN access_until TEXT COLLATE "C"',
    """
    CREATE TABLE transfers (
        id BIGINT PRIMARY KEY,
        account_id BIGINT NOT NULL REFERENCES accounts(id),
        from_id BIGINT NOT NULL REFERENCES users(id),
        to_id BIGINT NOT NULL REFERENCES users(id),
        keep_as TEXT COLLATE "C",
        status TEXT COLLATE "C" NOT NULL
            CHECK (status IN ('open', 'accepted', 'cancelled', 'expired')),
        offered_at TEXT COLLATE "C" NOT NULL,
        expires_at TEXT COLLATE "C" NOT NULL,
        closed_at TEXT COLLATE "C",
        CHECK (from_id <> to_id),
        CHECK ((status = 'open') = (closed_at IS NULL))
    )
    """,
    *_next_id("transfers"),
    "CREATE UNIQUE INDEX transfers_open ON transfers(account_id) WHERE status = 'open'",
    "CREATE INDEX transfers_due ON transfers(expires_at) WHERE status = 'open'",
    "CREATE INDEX transfers_to ON transfers(to_id, account_id)",
    """
    CREATE FUNCTION colabctl_owner_not_member() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.user_id = (SELECT owner_id FROM accounts WHERE id = NEW.account_id) THEN
            RAISE EXCEPTION 'the owner cannot be a collaborator of their account'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER owner_not_member_insert BEFORE INSERT ON memberships
        FOR EACH ROW WHEN (NEW.status IN ('pending', 'active'))
        EXECUTE FUNCTION colabctl_owner_not_member()
    """,
    """
    CREATE TRIGGER owner_not_member_update BEFORE UPDATE OF status, user_id, account_id
        ON memberships
        FOR EACH ROW WHEN (NEW.status IN ('pending', 'active'))
        EXECUTE FUNCTION colabctl_owner_not_member()
    """,
    """
    CREATE FUNCTION colabctl_owner_not_member_owner() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM memberships WHERE account_id = NEW.id
                   AND user_id = NEW.owner_id AND status IN ('pending', 'active'))
        THEN
            RAISE EXCEPTION 'a new owner must first leave their membership'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER owner_not_member_owner BEFORE UPDATE OF owner_id ON accounts
        FOR EACH ROW EXECUTE FUNCTION colabctl_owner_not_member_owner()
    """,
    _pinned(
        "colabctl_transfers_next_id", "colabctl_owner_not_member", "colabctl_owner_not_member_owner"
    ),
    _version(5),
]

M006 = [
    """
    CREATE TABLE review_acks (
        id BIGINT PRIMARY KEY,
        account_id BIGINT NOT NULL REFERENCES accounts(id),
        finding TEXT COLLATE "C" NOT NULL,
        fingerprint TEXT COLLATE "C" NOT NULL,
        actor TEXT COLLATE "C" NOT NULL,
        at TEXT COLLATE "C" NOT NULL,
        reason TEXT COLLATE "C" NOT NULL
    )
    """,
    *_next_id("review_acks"),
    "CREATE INDEX review_acks_finding ON review_acks(account_id, finding, id)",
    _refuse("colabctl_review_acks_history", "review acks are history: append a new one"),
    """
    CREATE TRIGGER review_acks_no_update BEFORE UPDATE ON review_acks
        FOR EACH ROW EXECUTE FUNCTION colabctl_review_acks_history()
    """,
    """
    CREATE TRIGGER review_acks_no_delete BEFORE DELETE ON review_acks
        FOR EACH ROW EXECUTE FUNCTION colabctl_review_acks_history()
    """,
    """
    CREATE TRIGGER review_acks_no_truncate BEFORE TRUNCATE ON review_acks
        FOR EACH STATEMENT EXECUTE FUNCTION colabctl_review_acks_history()
    """,
    _pinned("colabctl_review_acks_next_id", "colabctl_review_acks_history"),
    _version(6),
]

# As on SQLite: the INSTEAD OF trigger runs the very INSERT and UPDATE that an append
# runs one by one, and m004's triggers judge each of them: for a caller appending a row
# at a time. colabctl's own appends do not come through here on PostgreSQL: each UPDATE
# of the one audit_head row leaves a version that every later read of it walks until the
# transaction ends, so many rows through the view grow with the square of their number
# (bench/pg_audit_append.py, "view"); store/audit.append_many inserts them into `audit`
# and moves the head once (m004).
M007 = [
    """
    CREATE VIEW audit_append AS
        SELECT seq, at, actor, account, action, target, details, prev_hash, hash
        FROM audit WHERE false
    """,
    """
    CREATE FUNCTION colabctl_audit_append_row() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO audit (seq, at, actor, account, action, target, details, prev_hash, hash)
        VALUES (NEW.seq, NEW.at, NEW.actor, NEW.account, NEW.action, NEW.target,
                NEW.details, NEW.prev_hash, NEW.hash);
        UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER audit_append_row INSTEAD OF INSERT ON audit_append
        FOR EACH ROW EXECUTE FUNCTION colabctl_audit_append_row()
    """,
    _pinned("colabctl_audit_append_row"),
    _version(7),
]

# Who really acted (docs/storage.md, "The schema on PostgreSQL"): every audit row records the
# database login that wrote it, and the database checks the claim. Rows carry
# db_login = session_user (the login, whatever SET ROLE did), except while `store copy`
# copies rows as they are: then the setting colabctl.copy is 'on' and the writer is (a
# member of) the role that owns the audit table, who could drop the triggers anyway. A
# login bound to a user (store_bindings) writes rows only as that user, or with no actor;
# a copy is exempt from this too, as the rows it copies were written by others.
M008 = [
    'ALTER TABLE audit ADD COLUMN db_login TEXT COLLATE "C"',
    """
    CREATE TABLE store_bindings (
        login TEXT COLLATE "C" NOT NULL PRIMARY KEY,
        user_id BIGINT NOT NULL REFERENCES users(id),
        bound_at TEXT COLLATE "C" NOT NULL
    )
    """,
    """
    CREATE FUNCTION colabctl_audit_db_login() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        bound TEXT;
    BEGIN
        IF coalesce(current_setting('colabctl.copy', true), '') = 'on'
           AND pg_has_role(session_user,
                           (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER')
        THEN
            RETURN NEW;
        END IF;
        IF NEW.db_login IS DISTINCT FROM session_user::text THEN
            RAISE EXCEPTION 'an audit row records the database login that writes it: %, not %',
                session_user, coalesce(NEW.db_login, 'none')
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        SELECT users.email INTO bound FROM store_bindings JOIN users ON users.id = user_id
            WHERE login = session_user::text;
        IF FOUND AND NEW.actor IS NOT NULL AND NEW.actor IS DISTINCT FROM bound THEN
            RAISE EXCEPTION 'the database login % is bound to %', session_user, bound
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER audit_db_login BEFORE INSERT ON audit
        FOR EACH ROW EXECUTE FUNCTION colabctl_audit_db_login()
    """,
    # Bindings are changed only by (a member of) the role that owns them, whatever a
    # login was granted: a bound login cannot unbind itself (docs/commands.md, store bind).
    """
    CREATE FUNCTION colabctl_store_bindings_by_owner() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NOT pg_has_role(session_user,
                           (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER')
        THEN
            RAISE EXCEPTION 'only the owner of the store''s tables binds or unbinds a login'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
    END
    $$
    """,
    """
    CREATE TRIGGER store_bindings_by_owner BEFORE INSERT OR UPDATE OR DELETE ON store_bindings
        FOR EACH ROW EXECUTE FUNCTION colabctl_store_bindings_by_owner()
    """,
    """
    CREATE TRIGGER store_bindings_by_owner_truncate BEFORE TRUNCATE ON store_bindings
        FOR EACH STATEMENT EXECUTE FUNCTION colabctl_store_bindings_by_owner()
    """,
    # OR REPLACE keeps the view's grants; a view may gain columns at its end.
    """
    CREATE OR REPLACE VIEW audit_append AS
        SELECT seq, at, actor, account, action, target, details, prev_hash, hash, db_login
        FROM audit WHERE false
    """,
    """
    CREATE OR REPLACE FUNCTION colabctl_audit_append_row() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO audit (seq, at, actor, account, action, target, details, prev_hash, hash,
                           db_login)
        VALUES (NEW.seq, NEW.at, NEW.actor, NEW.account, NEW.action, NEW.target,
                NEW.details, NEW.prev_hash, NEW.hash, NEW.db_login);
        UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
        RETURN NEW;
    END
    $$
    """,
    # (CREATE OR REPLACE FUNCTION drops the pinned path: pinned again)
    _pinned(
        "colabctl_audit_db_login",
        "colabctl_store_bindings_by_owner",
        "colabctl_audit_append_row",
    ),
    _version(8),
]


def _m009_checkpoint(conn: psycopg.Connection[Any]) -> None:
    """SQLite's m009 (store/migrations.py): a checkpoint where the log does not replay into
    the tables, appended at the head and recording the login writing it (m008)."""
    from colabctl.store import audit
    from colabctl.store.checkpoint import pending_checkpoint

    row = pending_checkpoint(cast("Connection", conn))
    if row is None:
        return
    (login,) = conn.execute("SELECT session_user").fetchone() or (None,)
    head = conn.execute("SELECT seq, hash FROM audit_head").fetchone()  # (m004's record)
    if head is None:
        raise audit.head_missing()
    (chained,) = audit.chain((head[0], head[1]), [row], login)
    marks = ", ".join(["%s"] * len(chained))
    conn.execute(f"INSERT INTO audit ({audit.COLUMNS}) VALUES ({marks})", chained)
    conn.execute("UPDATE audit_head SET seq = %s, hash = %s WHERE id = 1", (chained[0], chained[8]))
    # The deferred check of the head (m004's audit_head_covers) runs now, not at COMMIT: a
    # later migration of the same transaction may alter `audit` (m010), which PostgreSQL
    # refuses while a trigger event on it is pending.
    conn.execute("SET CONSTRAINTS audit_head_covers IMMEDIATE")
    conn.execute("SET CONSTRAINTS audit_head_covers DEFERRED")


M009: list[Statement] = [_m009_checkpoint, _version(9)]

# Who may read and write what, enforced by the server (store/pg_security.py).
M010 = [
    *pg_security.M010,
    _pinned(*pg_security.QUESTIONS, *pg_security.GUARDS),
    _version(10),
]


def _m011_profile_names(conn: psycopg.Connection[Any]) -> None:
    """SQLite's m011 (store/migrations.py): the names an older colabctl took off history
    rows, given back where the audit log says them."""
    from colabctl.store.kept_names import recovered_names

    names = recovered_names(cast("Connection", conn))
    if names:
        with conn.cursor() as cursor:
            cursor.executemany("UPDATE memberships SET profile_name = %s WHERE id = %s", names)


# A history row keeps the name of its profile once the profile is deleted (store/
# migrations.py m011); the invitee's guard keeps it out of what an answer may change.
M011: list[Statement] = [
    'ALTER TABLE memberships ADD COLUMN profile_name TEXT COLLATE "C"',
    "ALTER TABLE memberships ADD CONSTRAINT memberships_profile_name"
    " CHECK (profile_name IS NULL OR profile_id IS NULL)",
    _m011_profile_names,
    *pg_security.M011,
    _pinned(*pg_security.M011_GUARDS),
    _version(11),
]

# A migration's steps: SQL, or (for what SQL cannot say) a function of the connection.
MIGRATIONS: list[tuple[str, Sequence[Statement]]] = [
    ("m001_initial", M001),
    ("m002_memberships_by_account", M002),
    ("m003_identity_keys", M003),
    ("m004_audit_head", M004),
    ("m005_ownership_and_access_until", M005),
    ("m006_review_acks", M006),
    ("m007_audit_append", M007),
    ("m008_db_login_and_bindings", M008),
    ("m009_checkpoint", M009),
    ("m010_row_level_security", M010),
    ("m011_profile_names", M011),
]


def schema_version(conn: psycopg.Connection[Any]) -> int:
    """The store's schema version: 0 when colabctl has no tables in the current schema."""
    found = conn.execute(
        "SELECT 1 FROM pg_tables WHERE schemaname = current_schema()"
        " AND tablename = 'colabctl_schema'"
    ).fetchone()
    if found is None:
        return 0
    row = conn.execute("SELECT version FROM colabctl_schema").fetchone()
    return int(row[0]) if row is not None else 0


def apply_pending(conn: psycopg.Connection[Any]) -> None:
    """Run every migration not yet recorded, in the transaction the caller opened.

    A store newer than this colabctl is refused before anything is written."""
    latest = len(MIGRATIONS)
    found = schema_version(conn)
    if found > latest:
        raise StoreFault(
            _("the store has schema version %(schema)d, newer than this colabctl's (%(known)d)")
            % {"schema": found, "known": latest},
            hint=_("upgrade colabctl"),
        )
    for statement in BOOKKEEPING:
        conn.execute(statement)  # fixed text, no parameters
    applied = {
        str(row[0])
        for row in conn.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = %s", (MIGRATION_SET,)
        )
    }
    ran = False
    for name, statements in MIGRATIONS:
        if name in applied:
            continue
        for step in statements:
            if callable(step):
                step(conn)
            else:
                conn.execute(step)
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES (%s, %s, %s)",
            (MIGRATION_SET, name, str(datetime.datetime.now(datetime.UTC))),
        )
        ran = True
    if ran and schema_version(conn) >= GRANTS_SINCE:
        pg_security.regrant(conn)
