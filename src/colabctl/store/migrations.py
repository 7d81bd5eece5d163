"""Schema migrations: append-only. Never edit one that has shipped; add the next.

Each migration ends by setting `PRAGMA user_version` to its own number, which
is how a store says which colabctl wrote it (see schema.py).
"""

from typing import TYPE_CHECKING, cast

from sqlite_utils import Database, Migrations

from colabctl.errors import StoreFault
from colabctl.i18n import _

if TYPE_CHECKING:
    from colabctl.store.sql import Connection

migrations = Migrations("colabctl")


@migrations()
def m001_initial(db: Database) -> None:
    # One statement at a time: executescript() would COMMIT the transaction
    # this migration runs in.
    for statement in _M001:
        db.execute(statement)


_M001 = [
    """
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        email TEXT NOT NULL,              -- as normalised, local part's case kept
        email_key TEXT NOT NULL UNIQUE,   -- casefolded: one user per address
        name TEXT,
        created_at TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE accounts (
        id INTEGER PRIMARY KEY,
        slug TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        owner_id INTEGER NOT NULL REFERENCES users(id),
        tax_country TEXT,
        tax_id TEXT,                      -- compact; shown formatted
        created_at TEXT NOT NULL,
        CHECK ((tax_country IS NULL) = (tax_id IS NULL))
    )
    """,
    """
    CREATE INDEX accounts_owner ON accounts(owner_id)
    """,
    """
    CREATE TABLE profiles (
        id INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts(id),
        name TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        title TEXT,                       -- JSON {"es", "pt", "en"} from a preset
        created_at TEXT NOT NULL,
        UNIQUE (account_id, name)
    )
    """,
    """
    CREATE TABLE profile_permissions (
        profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
        permission TEXT NOT NULL,
        PRIMARY KEY (profile_id, permission)
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE memberships (
        id INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts(id),
        user_id INTEGER NOT NULL REFERENCES users(id),
        -- history rows lose their profile when it is deleted; live ones never
        profile_id INTEGER REFERENCES profiles(id) ON DELETE SET NULL,
        status TEXT NOT NULL
            CHECK (status IN ('pending', 'active', 'expired', 'declined', 'revoked')),
        invited_by INTEGER REFERENCES users(id),
        invited_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        responded_at TEXT,
        ended_at TEXT,
        CHECK (profile_id IS NOT NULL OR status NOT IN ('pending', 'active'))
    )
    """,
    """
    -- at most one live membership per (account, user); history rows stay
    CREATE UNIQUE INDEX memberships_live
        ON memberships(account_id, user_id) WHERE status IN ('pending', 'active')
    """,
    """
    CREATE INDEX memberships_user ON memberships(user_id, account_id)
    """,
    """
    CREATE INDEX memberships_profile ON memberships(profile_id)
    """,
    """
    CREATE INDEX memberships_due ON memberships(expires_at) WHERE status = 'pending'
    """,
    """
    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT,
        account TEXT,
        action TEXT NOT NULL,
        target TEXT,
        details TEXT NOT NULL,            -- canonical JSON
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    )
    """,
    """
    CREATE INDEX audit_account ON audit(account, seq)
    """,
    """
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END
    """,
    """
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END
    """,
    "PRAGMA user_version = 1",
]


@migrations()
def m002_memberships_by_account(db: Database) -> None:
    # Reads of one account's people (standings: matrix, who-can; collaborator list;
    # account show) filter memberships by account_id alone. memberships_live only holds
    # live rows and memberships_user leads with user_id, so without this index each of
    # them scanned the whole table: 4 ms an account at 100k memberships, and
    # `who-can --all-accounts` for 1,000 accounts took 5 s.
    for statement in _M002:
        db.execute(statement)


_M002 = [
    "CREATE INDEX memberships_account ON memberships(account_id, user_id)",
    "PRAGMA user_version = 2",
]


@migrations()
def m003_identity_keys(db: Database) -> None:
    # One identity key (docs/storage.md, "Identity keys and skeletons (m003)"): every
    # stored key is recomputed with colabctl.store.keys.email_key (NFC + str.lower() local
    # part, IDNA domain) instead of casefold(), and each user gets the TR39 skeleton that
    # the lookalike rule looks up through users_skeleton.
    #
    # Two users whose new keys coincide would be one person under the new rule. Merging
    # them would hand one row's accounts and invitations to the other, and choosing a
    # winner is not ours to do, so the migration refuses (StoreFault, exit 7): it names
    # both rows, and the whole transaction rolls back, so the store is left as it was.
    from colabctl.store.keys import email_key, skeleton

    rows = db.execute("SELECT id, email FROM users ORDER BY id").fetchall()
    first_with: dict[str, tuple[int, str]] = {}
    for user_id, email in rows:
        key = email_key(email)
        if key in first_with:
            raise _key_clash(first_with[key], (user_id, email), key)
        first_with[key] = (user_id, email)
    db.execute("ALTER TABLE users ADD COLUMN skeleton TEXT")  # TR39, see store/keys.py
    # Two passes, as email_key is UNIQUE: a row's new key may be another row's old one.
    db.execute("UPDATE users SET email_key = '#m003#' || id")
    for key, (user_id, email) in first_with.items():
        db.execute(
            "UPDATE users SET email_key = ?, skeleton = ? WHERE id = ?",
            (key, skeleton(email), user_id),
        )
    for statement in _M003:
        db.execute(statement)


def _key_clash(first: tuple[int, str], second: tuple[int, str], key: str) -> StoreFault:
    return StoreFault(
        _(
            "cannot migrate the store to schema 3: users %(first)s (%(first_email)r) and"
            " %(second)s (%(second_email)r) are one address under the new identity key"
            " %(key)r; nothing was merged and the store was left as it was"
        )
        % {
            "first": first[0],
            "first_email": first[1],
            "second": second[0],
            "second_email": second[1],
            "key": key,
        },
        hint=_(
            "keep one of the two rows by hand, then rerun:"
            " docs/storage.md, 'Identity keys and skeletons (m003)'"
        ),
    )


_M003 = [
    # Not UNIQUE: a store may already hold a lookalike pair made before the rule existed.
    # New users are checked against it in their write transaction (Session.add_user).
    "CREATE INDEX users_skeleton ON users(skeleton)",
    "PRAGMA user_version = 3",
]


@migrations()
def m004_audit_head(db: Database) -> None:
    # The chain's head (seq and hash of its last row) in a record of its own, moved by
    # store/audit.append in the transaction of every row. Without it a log cut at the
    # tail, or emptied, still verified (docs/storage.md, "Audit log"). Backfilled from
    # the chain as it stands: a tail cut before this migration cannot be seen here.
    for statement in _M004:
        db.execute(statement)


_M004 = [
    """
    CREATE TABLE audit_head (
        id INTEGER PRIMARY KEY CHECK (id = 1),   -- one record, ever
        seq INTEGER NOT NULL CHECK (seq >= 0),   -- 0: an empty log
        hash TEXT NOT NULL                       -- the last row's; 64 zeros when empty
    )
    """,
    """
    INSERT INTO audit_head (id, seq, hash)
    SELECT 1, coalesce(max(seq), 0),
           coalesce((SELECT hash FROM audit ORDER BY seq DESC LIMIT 1), printf('%.64d', 0))
    FROM audit
    """,
    # Guarded like the rows: never deleted, never a second record (the one above is
    # written before this trigger exists; INSERT OR REPLACE would otherwise swap it), and
    # an UPDATE only moves it forward by exactly one row that exists and links to it.
    """
    CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
        BEGIN SELECT RAISE(ABORT, 'the audit head is never deleted'); END
    """,
    """
    CREATE TRIGGER audit_head_no_insert BEFORE INSERT ON audit_head
        BEGIN SELECT RAISE(ABORT, 'the audit head is one record'); END
    """,
    """
    CREATE TRIGGER audit_head_forward BEFORE UPDATE ON audit_head
        WHEN NEW.id IS NOT OLD.id
          OR NEW.seq IS NOT OLD.seq + 1
          OR NOT EXISTS (SELECT 1 FROM audit
                         WHERE seq = NEW.seq AND hash = NEW.hash AND prev_hash = OLD.hash)
        BEGIN SELECT RAISE(ABORT, 'the audit head only moves forward, one new row at a time');
        END
    """,
    # And a row only joins the chain at its head: no row off the end, and no
    # INSERT OR REPLACE over an old row (REPLACE deletes without firing audit_no_delete).
    """
    CREATE TRIGGER audit_follows_head BEFORE INSERT ON audit
        WHEN NEW.seq IS NOT (SELECT seq + 1 FROM audit_head)
          OR NEW.prev_hash IS NOT (SELECT hash FROM audit_head)
        BEGIN SELECT RAISE(ABORT, 'an audit row is only appended at the head'); END
    """,
    "PRAGMA user_version = 4",
]


@migrations()
def m005_ownership_and_access_until(db: Database) -> None:
    # Ownership moves in two steps (an offer, then its acceptance) and a collaborator's
    # access may end on its own (docs/ownership.md). The owner stays one column of
    # accounts, so an account has exactly one owner by construction; the triggers make
    # "the owner has no live membership in their own account" a rule of the database,
    # whichever order a transfer writes in.
    for statement in _M005:
        db.execute(statement)


_M005 = [
    # NULL: access does not end. Compared as text with the session's clock at every
    # read, so access ends without any write (like an invitation's expiry).
    "ALTER TABLE memberships ADD COLUMN access_until TEXT",
    """
    CREATE TABLE transfers (
        id INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts(id),
        from_id INTEGER NOT NULL REFERENCES users(id),
        to_id INTEGER NOT NULL REFERENCES users(id),
        keep_as TEXT,                     -- profile the offering owner keeps; NULL: leaves
        status TEXT NOT NULL
            CHECK (status IN ('open', 'accepted', 'cancelled', 'expired')),
        offered_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        closed_at TEXT,
        CHECK (from_id <> to_id),
        CHECK ((status = 'open') = (closed_at IS NULL))
    )
    """,
    """
    -- one open offer per account; an expired one is closed by the next write
    CREATE UNIQUE INDEX transfers_open ON transfers(account_id) WHERE status = 'open'
    """,
    """
    CREATE INDEX transfers_due ON transfers(expires_at) WHERE status = 'open'
    """,
    """
    CREATE INDEX transfers_to ON transfers(to_id, account_id)
    """,
    """
    CREATE TRIGGER owner_not_member_insert BEFORE INSERT ON memberships
        WHEN NEW.status IN ('pending', 'active')
         AND NEW.user_id = (SELECT owner_id FROM accounts WHERE id = NEW.account_id)
        BEGIN SELECT RAISE(ABORT, 'the owner cannot be a collaborator of their account'); END
    """,
    """
    CREATE TRIGGER owner_not_member_update BEFORE UPDATE OF status, user_id, account_id
        ON memberships
        WHEN NEW.status IN ('pending', 'active')
         AND NEW.user_id = (SELECT owner_id FROM accounts WHERE id = NEW.account_id)
        BEGIN SELECT RAISE(ABORT, 'the owner cannot be a collaborator of their account'); END
    """,
    """
    CREATE TRIGGER owner_not_member_owner BEFORE UPDATE OF owner_id ON accounts
        WHEN EXISTS (SELECT 1 FROM memberships WHERE account_id = NEW.id
                     AND user_id = NEW.owner_id AND status IN ('pending', 'active'))
        BEGIN SELECT RAISE(ABORT, 'a new owner must first leave their membership'); END
    """,
    "PRAGMA user_version = 5",
]


@migrations()
def m006_review_acks(db: Database) -> None:
    # `review ack`: an owner accepts a finding. The row keeps the fingerprint of the
    # finding's subject as it was (the person's profile and its permissions, ...): the
    # ack holds while the fingerprint is the same, and the finding reopens when it is
    # not. Rows are history, never changed (each ack also has its audit row).
    for statement in _M006:
        db.execute(statement)


_M006 = [
    """
    CREATE TABLE review_acks (
        id INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts(id),
        finding TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        actor TEXT NOT NULL,
        at TEXT NOT NULL,
        reason TEXT NOT NULL
    )
    """,
    "CREATE INDEX review_acks_finding ON review_acks(account_id, finding, id)",
    """
    CREATE TRIGGER review_acks_no_update BEFORE UPDATE ON review_acks
        BEGIN SELECT RAISE(ABORT, 'review acks are history: append a new one'); END
    """,
    """
    CREATE TRIGGER review_acks_no_delete BEFORE DELETE ON review_acks
        BEGIN SELECT RAISE(ABORT, 'review acks are history: append a new one'); END
    """,
    "PRAGMA user_version = 6",
]


@migrations()
def m007_audit_append(db: Database) -> None:
    # One statement appends a row and moves the head onto it, so that many rows go in
    # with one executemany (a team-file apply writes ~140k). Nothing is relaxed: the
    # INSTEAD OF trigger runs, for each row, the very INSERT and UPDATE that
    # store/audit.append ran one by one, and m004's row triggers judge each of them as
    # before (a row joins only at the head; the head moves by exactly that one row). A
    # plain INSERT INTO audit is still possible and still leaves the head behind, which
    # `audit verify` names.
    for statement in _M007:
        db.execute(statement)


_M007 = [
    """
    CREATE VIEW audit_append AS
        SELECT seq, at, actor, account, action, target, details, prev_hash, hash
        FROM audit WHERE 0
    """,
    """
    CREATE TRIGGER audit_append_row INSTEAD OF INSERT ON audit_append
    BEGIN
        INSERT INTO audit (seq, at, actor, account, action, target, details, prev_hash, hash)
        VALUES (NEW.seq, NEW.at, NEW.actor, NEW.account, NEW.action, NEW.target,
                NEW.details, NEW.prev_hash, NEW.hash);
        UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
    END
    """,
    "PRAGMA user_version = 7",
]


@migrations()
def m008_db_login_and_bindings(db: Database) -> None:
    # Who really acted (docs/storage.md, "The schema on PostgreSQL"). On PostgreSQL each
    # audit row records the database login that wrote it, checked by the database, and a
    # login may be bound to one user (store_bindings). A SQLite store has no logins: db_login stays
    # NULL (old rows and new), and store_bindings stays empty (`store bind` is refused).
    # The columns exist here too so that both engines have one schema and `store copy`
    # moves rows as they are. The audit_append view is recreated with the new column.
    for statement in _M008:
        db.execute(statement)


_M008 = [
    "ALTER TABLE audit ADD COLUMN db_login TEXT",
    """
    CREATE TABLE store_bindings (
        login TEXT NOT NULL PRIMARY KEY,  -- a PostgreSQL login (session_user)
        user_id INTEGER NOT NULL REFERENCES users(id),
        bound_at TEXT NOT NULL
    )
    """,
    "DROP TRIGGER audit_append_row",
    "DROP VIEW audit_append",
    """
    CREATE VIEW audit_append AS
        SELECT seq, at, actor, account, action, target, details, prev_hash, hash, db_login
        FROM audit WHERE 0
    """,
    """
    CREATE TRIGGER audit_append_row INSTEAD OF INSERT ON audit_append
    BEGIN
        INSERT INTO audit (seq, at, actor, account, action, target, details, prev_hash, hash,
                           db_login)
        VALUES (NEW.seq, NEW.at, NEW.actor, NEW.account, NEW.action, NEW.target,
                NEW.details, NEW.prev_hash, NEW.hash, NEW.db_login);
        UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
    END
    """,
    "PRAGMA user_version = 8",
]


@migrations()
def m009_checkpoint(db: Database) -> None:
    # `audit verify` now replays the log into the state it describes and compares it with
    # the tables (docs/storage.md, "What audit verify checks"). Rows written before every
    # action's row said enough to redo it cannot be replayed, so where the log as it stands
    # does not rebuild the tables, one `store.checkpoint` row records the whole state, and
    # replay starts from it (docs/storage.md, "Checkpoints (m009)"). It moves the head.
    from colabctl.store import audit
    from colabctl.store.checkpoint import pending_checkpoint

    conn = cast("Connection", db.conn)  # the store's own SqliteConnection (store/db.py)
    row = pending_checkpoint(conn)
    if row is not None:
        audit.append_many(conn, [row])
    db.execute("PRAGMA user_version = 9")


@migrations()
def m010_row_level_security(db: Database) -> None:
    # On PostgreSQL the server itself decides who reads and writes what (store/
    # pg_security.py). A SQLite file trusts whoever opens it, so here m010 only adds the
    # two views colabctl reads through on both engines: `account_data` (an account's tax
    # data, which on a server only its owner reads) and `audit_log` (the audit rows, with
    # whether each row's login is someone other than its actor), and the two indexes the
    # server's policies look people up by.
    for statement in _M010:
        db.execute(statement)


_M010 = [
    """
    CREATE VIEW account_data AS
        SELECT id AS account_id, tax_id IS NOT NULL AS legal_entity, tax_country, tax_id
        FROM accounts
    """,
    """
    CREATE VIEW audit_log AS
        SELECT seq, at, actor, account, action, target, details, db_login,
               db_login IS NOT NULL AND coalesce(actor, '') <> db_login AND NOT EXISTS (
                   SELECT 1 FROM store_bindings b JOIN users u ON u.id = b.user_id
                   WHERE b.login = audit.db_login AND u.email = audit.actor) AS login_differs
        FROM audit
    """,
    "CREATE INDEX memberships_inviter ON memberships(invited_by)",
    "CREATE INDEX transfers_from ON transfers(from_id, account_id)",
    "PRAGMA user_version = 10",
]


@migrations()
def m011_profile_names(db: Database) -> None:
    # A declined or revoked row keeps the name of its profile once the profile is deleted
    # (docs/storage.md, "Names of deleted profiles (m011)"): `profile delete` writes it here
    # as it takes the profile off the row. A name is kept only where the row holds no
    # profile, so a row says its profile one way. Rows an older colabctl left without a
    # name get it back from the audit log, where the log says it (store/kept_names.py).
    from colabctl.store.kept_names import recovered_names

    db.execute(
        "ALTER TABLE memberships ADD COLUMN profile_name TEXT"
        " CHECK (profile_name IS NULL OR profile_id IS NULL)"
    )
    conn = cast("Connection", db.conn)  # the store's own SqliteConnection (store/db.py)
    conn.executemany("UPDATE memberships SET profile_name = ? WHERE id = ?", recovered_names(conn))
    db.execute("PRAGMA user_version = 11")
