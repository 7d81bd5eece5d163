"""The store on a PostgreSQL server (docs/postgres.md): the same schema, rules and
transactions as the SQLite file, for a team whose machines and CI share one store.

Core speaks one SQL dialect (SQLite's placeholders `?` and `:name`, `group_concat`,
`json_each(?)`); the connection here runs it as store/pgsql.py translates it, and answers
store/sql.Connection's questions in PostgreSQL's catalog, so core never branches on the
engine. psycopg is imported only when a PostgreSQL URL is given: reads on SQLite never
load it (store/engine.py).

Writers are serialised by a transaction-scoped advisory lock taken first thing in every
writing transaction (READ COMMITTED): the equivalent of SQLite's BEGIN IMMEDIATE, and
what keeps the audit chain from forking. Reads run in one REPEATABLE READ snapshot.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn

from colabctl.errors import ColabError, Forbidden, InternalError, Invalid, StoreFault
from colabctl.i18n import _
from colabctl.store import sql
from colabctl.store.pg_questions import ServerQuestions
from colabctl.store.pgsql import translate
from colabctl.store.schema import SCHEMA_VERSION

if TYPE_CHECKING:
    import psycopg

    from colabctl.store.sql import Params

CONNECT_TIMEOUT_S = 10
# pg_advisory_xact_lock(class, key): colabctl's writers, keyed per store (database+schema)
LOCK_CLASS = 0x636F6C61  # "cola"

_PASSWORD_IN_URL = re.compile(r"^([a-z]+://[^:@/]*:)[^@/]*@", re.IGNORECASE)
_PASSWORD_PARAM = re.compile(r"(password=)[^&\s]*", re.IGNORECASE)


def hide_password(url: str) -> str:
    """URL with its password (if any) shown as ***: what `store info` prints."""
    return _PASSWORD_PARAM.sub(r"\1***", _PASSWORD_IN_URL.sub(r"\1***@", url))


def where(url: str) -> str:
    """HOST:PORT/DB of a URL, for messages: never a user or a password."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        info = conninfo_to_dict(url)
    except Exception:
        return _("the PostgreSQL server (an unreadable URL)")
    host = str(info.get("host") or "localhost")
    port = f":{info['port']}" if info.get("port") else ""
    return f"{host}{port}/{info.get('dbname') or _('(default database)')}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0].strip() if text else type(exc).__name__


def _said(exc: BaseException, url: str) -> str:
    """The first line of what EXC says, with URL's password (wherever it is quoted) hidden."""
    line = _first_line(exc)
    for secret in _secrets(url):
        line = line.replace(secret, "***")
    return line


def fault(exc: BaseException, url: str) -> ColabError:
    """A psycopg error as colabctl's, in one line naming host and database (never the
    password): a refusal by the server's own rules (a privilege, a row-level security
    policy, a guard of store/pg_security.py) is exit 5, `the store refused: ...`; SQL
    the server cannot run is a bug in colabctl (8); a busy, refusing or unreachable
    store is the store's (7). The one place PostgreSQL's errors are read (SQLite's:
    store/db.fault)."""
    import psycopg

    line = _said(exc, url)
    place = where(url)
    said = {"store": place, "reason": line, "seconds": round(sql.BUSY_TIMEOUT_S)}
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return Forbidden(_("the store refused: %(reason)s") % said)
    if _is_sql_bug(exc):
        return InternalError(
            _("PostgreSQL at %(store)s cannot run colabctl's SQL (%(reason)s)") % said
        )
    if isinstance(exc, psycopg.errors.QueryCanceled | psycopg.errors.LockNotAvailable):
        return StoreFault(
            _(
                "the store at %(store)s is busy: a statement waited more than %(seconds)d s"
                " (%(reason)s); nothing was changed"
            )
            % said,
            hint=_("try again; if it persists, look for a long transaction on the server"),
        )
    if isinstance(exc, psycopg.errors.RaiseException | psycopg.errors.IntegrityError):
        return StoreFault(
            _("the store at %(store)s refused a change: %(reason)s; nothing was changed") % said
        )
    if isinstance(exc, psycopg.OperationalError):
        return StoreFault(
            _("cannot use the store at %(store)s: %(reason)s") % said,
            hint=_(
                "check the server, the database name and your login (URL, PG* variables,"
                " ~/.pgpass): docs/postgres.md"
            ),
        )
    return StoreFault(_("store error at %(store)s: %(reason)s; nothing was changed") % said)


def _is_sql_bug(exc: BaseException) -> bool:
    """Whether EXC says colabctl sent SQL the server cannot run: SQLSTATE class 42 (a
    syntax error, an undefined table, column or function, a type mismatch), but for a
    refused privilege (42501), which is the store's rules; or psycopg's own complaint
    about the parameters (no SQLSTATE)."""
    import psycopg

    if not isinstance(exc, psycopg.Error):
        return False
    state = exc.sqlstate
    if state is None:
        return isinstance(exc, psycopg.ProgrammingError)
    return state.startswith("42") and state != "42501"


def _secrets(url: str) -> list[str]:
    """The URL's password, however it is written (also in a URL libpq cannot parse, whose
    error message quotes it), longest first."""
    from psycopg.conninfo import conninfo_to_dict

    found = {url} - {hide_password(url)}  # the whole URL, if it holds a password
    for pattern in (_PASSWORD_IN_URL, _PASSWORD_PARAM):
        match = pattern.search(url)
        if match:
            found.add(url[match.end(1) : match.end()].removesuffix("@"))
    try:
        password = conninfo_to_dict(url).get("password")
    except Exception:
        password = None
    if password:
        found.add(str(password))
    return sorted((s for s in found if s), key=len, reverse=True)


class Cursor:
    """The part of sqlite3.Cursor that core uses: fetchone, fetchall, iteration."""

    def __init__(self, cursor: psycopg.Cursor[Any]) -> None:
        self._cursor = cursor

    def fetchone(self) -> Any:
        return self._cursor.fetchone() if self._cursor.description else None

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall() if self._cursor.description else []

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


class Connection:
    """store/sql.Connection over psycopg. Core's SQL (`execute`, `executemany`) is
    translated by store/pgsql.py; this module's own PostgreSQL (`native`) is not. Every
    psycopg error comes out as colabctl's (`fault`), naming host and database only."""

    moves_head_once = True  # the head moves once per append (docs/storage.md)

    def __init__(self, raw: psycopg.Connection[Any], url: str) -> None:
        import psycopg

        self.raw = raw
        self.url = url
        self._cursor = psycopg.RawCursor  # binds $1, $2 ... as they are: no % escaping

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self.raw.info.transaction_status != TransactionStatus.IDLE

    def execute(self, sql: str, parameters: Params = (), /) -> Cursor:
        statement = translate(sql)
        return self.native(statement.text, statement.arguments(parameters))

    def native(self, sql: str, parameters: Params = (), /) -> Cursor:
        """SQL in PostgreSQL's own dialect ($1, $2 ... placeholders), as it is."""
        try:
            cursor = self._cursor(self.raw)
            cursor.execute(sql, parameters)
        except Exception as exc:
            self._fail(exc)
        return Cursor(cursor)

    def executemany(self, sql: str, parameters: Iterable[Params], /) -> None:
        statement = translate(sql)
        try:
            with self._cursor(self.raw) as cursor:
                cursor.executemany(statement.text, [statement.arguments(p) for p in parameters])
        except Exception as exc:
            self._fail(exc)

    def _fail(self, exc: Exception) -> NoReturn:
        import psycopg

        if isinstance(exc, psycopg.DataError) and "NUL" in str(exc):
            # SQLite stores and compares text with NUL in it; PostgreSQL's text cannot
            # hold one, so no stored name can match such a value either.
            raise Invalid(_("a value holds a NUL character (\\x00), which no name can")) from None
        if isinstance(exc, psycopg.Error):
            raise fault(exc, self.url) from None
        raise exc

    def close(self) -> None:
        self.raw.close()

    # -- store/sql.Connection's questions, in PostgreSQL's catalog -----------------------

    def schema_version(self) -> int:
        version: int = self.native("SELECT version FROM colabctl_schema").fetchone()[0]
        return version

    def has_table(self, name: str) -> bool:
        found = self.native(
            "SELECT 1 FROM pg_class WHERE oid = to_regclass($1) AND relkind = 'r'", (name,)
        ).fetchone()
        return found is not None

    def has_trigger(self, name: str) -> bool:
        found = self.native(
            "SELECT 1 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE c.relnamespace = current_schema()::regnamespace AND t.tgname = $1",
            (name,),
        ).fetchone()
        return found is not None

    def columns(self, table: str) -> set[str]:
        return self.live_schema(table).get(table, set())

    def live_schema(self, only: str | None = None) -> dict[str, set[str]]:
        # pg_catalog, not information_schema: it lists relations whatever this login's
        # privileges on them (another program's tables count too)
        found: dict[str, set[str]] = {}
        for name, column in self.native(
            "SELECT c.relname, a.attname FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " JOIN pg_attribute a ON a.attrelid = c.oid"
            " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'v', 'm', 'p', 'f')"
            " AND a.attnum > 0 AND NOT a.attisdropped AND ($1::text IS NULL OR c.relname = $1)",
            (only,),
        ):
            found.setdefault(name, set()).add(column)
        return found

    def stream(self, sql: str, size: int) -> Iterator[list[tuple[Any, ...]]]:
        """Through a server-side cursor (inside a transaction: the reader's snapshot)."""
        import psycopg

        text = translate(sql).text
        try:
            with self.raw.cursor(name="colabctl_stream") as cursor:
                cursor.itersize = size
                cursor.execute(text)
                while chunk := cursor.fetchmany(size):
                    yield [tuple(row) for row in chunk]
        except psycopg.Error as exc:
            raise fault(exc, self.url) from None


_LOADERS: list[tuple[str, type[Any]]] = []


def _same_types(raw: psycopg.Connection[Any]) -> None:
    """Answers typed as SQLite's (docs/storage.md): a comparison or EXISTS comes back as 1
    or 0, not True or False; a numeric (a sum() of bigints) as an int, or a float where
    it has a fraction, never a Decimal (which JSON output cannot write)."""
    if not _LOADERS:
        from psycopg.adapt import Loader

        class BoolAsInt(Loader):
            def load(self, data: Any) -> int:
                return 1 if bytes(data) == b"t" else 0

        class NumericAsNumber(Loader):
            def load(self, data: Any) -> int | float:
                text = bytes(data)
                return float(text) if b"." in text or not text.lstrip(b"-").isdigit() else int(text)

        _LOADERS.extend([("bool", BoolAsInt), ("numeric", NumericAsNumber)])
    for name, loader in _LOADERS:
        raw.adapters.register_loader(name, loader)


def connect(url: str) -> Connection:
    """A connection in autocommit mode (transactions are begun explicitly, as on SQLite),
    or exit 7 naming host and database only."""
    try:
        import psycopg
    except ImportError:
        raise StoreFault(
            _("a PostgreSQL store needs the psycopg driver, which is not installed"),
            hint="pip install 'colabctl[postgres]'",
        ) from None
    try:
        raw = psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
    except psycopg.OperationalError as exc:
        raise fault(exc, url) from None
    except Exception as exc:  # a malformed URL: libpq says why (quoting it: hidden)
        raise StoreFault(
            _("the store's URL is not one PostgreSQL can use: %(reason)s")
            % {"reason": _said(exc, url)},
            hint="postgresql://USER@HOST:PORT/DATABASE (docs/postgres.md)",
        ) from None
    _same_types(raw)
    return Connection(raw, url)


class PgStore(ServerQuestions):
    """An open store on a PostgreSQL server (store/sql.Store; its questions about the
    whole store: store/pg_questions.py)."""

    engine: ClassVar[str] = "postgresql"
    has_logins: ClassVar[bool] = True  # database logins, bound to users by `store bind`

    def __init__(self, conn: Connection, url: str) -> None:
        self.conn = conn
        self.url = url
        self.version = 0
        self.db_login: str | None = None  # session_user: recorded in every audit row
        self.bound_email: str | None = None  # the user db_login is bound to, if any
        self.bound_user_id: int | None = None
        self._store_owner: bool | None = None  # whether db_login owns the tables (once known)

    @property
    def location(self) -> str:
        return hide_password(self.url)

    @property
    def behind(self) -> bool:
        return self.version < SCHEMA_VERSION

    def _look(self) -> None:
        """Who we are, the schema version and this login's binding: two statements,
        whatever the store's size (a `can` runs these, a snapshot and its own queries).
        The busy budget is set first: no statement runs longer than it."""
        budget = f"{int(sql.BUSY_TIMEOUT_S * 1000)}"
        row = self.conn.native(
            "SELECT session_user, to_regclass('colabctl_schema') IS NOT NULL,"
            " to_regclass('store_bindings') IS NOT NULL,"
            " to_regprocedure('colabctl_login()') IS NOT NULL,"
            " set_config('statement_timeout', $1, false), set_config('lock_timeout', $1, false),"
            # colabctl's statements are lookups: the server's JIT, which the row-level
            # security policies' cost estimates would trigger, costs more than they do
            " set_config('jit', 'off', false)",
            (budget,),
        ).fetchone()
        self.db_login = row[0]
        if not row[1]:
            self.version = 0
            return
        if row[3]:  # m010 on: the server says who this login is (store/pg_security.py)
            self._who()
        elif row[2]:
            found = self.conn.native(
                "SELECT (SELECT version FROM colabctl_schema),"
                " (SELECT u.email FROM store_bindings b JOIN users u ON u.id = b.user_id"
                " WHERE b.login = session_user)"
            ).fetchone()
            self.version, self.bound_email = found[0], found[1]
        else:
            self.version = self.conn.schema_version()
        if self.version > SCHEMA_VERSION:
            raise StoreFault(
                _(
                    "the store at %(store)s was written by a newer colabctl (schema %(schema)d,"
                    " this colabctl knows %(known)d); it was left untouched"
                )
                % {"store": where(self.url), "schema": self.version, "known": SCHEMA_VERSION},
                hint=_("upgrade colabctl to use this store"),
            )

    def _who(self) -> None:
        """The schema version, and whether this login is the store owner or bound to a
        user: anyone else may use nothing (docs/postgres.md, "Who really acted")."""
        version, owner, user_id, email = self.conn.native(
            "SELECT * FROM colabctl_login()"
        ).fetchone()
        if not owner and user_id is None:
            raise Forbidden(
                _("login %(login)s is not bound to a colabctl user") % {"login": self.db_login},
                hint=_("the store owner runs colabctl store bind %(login)s EMAIL")
                % {"login": self.db_login},
            )
        self.version, self._store_owner = version, bool(owner)
        self.bound_user_id, self.bound_email = user_id, email

    @property
    def store_owner(self) -> bool:
        """Whether this login owns colabctl's tables: it migrates, binds, and alone does
        the work that reads the whole store (row-level security is not forced on it)."""
        if self._store_owner is None:
            self._store_owner = self.owns_tables()
        return self._store_owner

    def owner_work(self, what: str) -> None:
        """Exit 5 unless this login is the store owner: WHAT reads every row."""
        if self.store_owner:
            return
        row = self.conn.native(
            "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = to_regclass('audit')"
        ).fetchone()
        names = {"what": what, "login": self.db_login, "owner": row[0] if row else "-"}
        raise Forbidden(
            _(
                "%(what)s reads the whole store, which only the store owner may do;"
                " the login %(login)s is a team login"
            )
            % names,
            hint=_("run it as %(owner)s, the login that owns colabctl's tables") % names,
        )

    def owns_tables(self) -> bool:
        """Whether this login owns colabctl's tables (is, or is a member of, their owner
        role): the one login that may bind and unbind logins (docs/postgres.md)."""
        row = self.conn.native(
            "SELECT pg_has_role(session_user, relowner, 'MEMBER') FROM pg_class"
            " WHERE oid = to_regclass('audit')"
        ).fetchone()
        return bool(row and row[0])

    def login_exists(self, login: str) -> bool:
        return (
            self.conn.native("SELECT 1 FROM pg_roles WHERE rolname = $1", (login,)).fetchone()
            is not None
        )

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN (READ COMMITTED), then colabctl's writer lock (waited for up to the busy
        budget), migrations if the schema is behind, the command's writes, COMMIT."""
        # the migrations' code only for a store behind this colabctl, and loaded before
        # the lock: every other writer waits while it is held
        migrations = _migrations() if self.behind else None
        conn = self.conn
        conn.native("BEGIN ISOLATION LEVEL READ COMMITTED")
        try:
            conn.native(
                "SELECT pg_advisory_xact_lock($1, hashtext(current_database() || '/' ||"
                " current_schema()))",
                (LOCK_CLASS,),
            )
            if migrations is not None:
                self.version = migrations.schema_version(conn.raw)
                if self.version > SCHEMA_VERSION:
                    self._look()  # raises: a newer colabctl migrated it meanwhile
                if self.version < SCHEMA_VERSION:
                    self._may_migrate()
                    try:
                        migrations.apply_pending(conn.raw)
                    except Exception as exc:
                        conn._fail(exc)
                    self.version = SCHEMA_VERSION
            yield
            sql.commit(conn)
        except BaseException:
            if conn.in_transaction:
                with suppress(Exception):  # a lost connection: the server rolls back itself
                    conn.raw.execute("ROLLBACK")
            raise

    def _may_migrate(self) -> None:
        """Only the store owner migrates an existing store (its tables, its policies):
        anyone else is told so before any statement of the migration runs (7: the store
        is not ready). A new store is created by, and so owned by, whoever writes first."""
        if self.version > 0 and not self.owns_tables():
            raise StoreFault(
                _(
                    "the store at %(store)s needs upgrading to schema %(schema)d (it is at"
                    " %(version)d), which only the login that owns its tables may do;"
                    " nothing was changed"
                )
                % {"store": where(self.url), "schema": SCHEMA_VERSION, "version": self.version},
                hint=_("run any colabctl command once as that login (docs/postgres.md, Upgrades)"),
            )

    @contextmanager
    def snapshot(self) -> Iterator[PgStore]:
        """One read transaction, so a multi-query answer sees one state."""
        self.conn.native("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            yield self
        finally:
            if self.conn.in_transaction:
                with suppress(Exception):  # a read: nothing to lose
                    self.conn.raw.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()

    def place(self) -> tuple[Any, ...]:
        """The server's address and port, the database and the schema (whatever login or
        URL spelling reached them)."""
        row = self.conn.native(
            "SELECT inet_server_addr()::text, inet_server_port(), current_database(),"
            " current_schema()"
        ).fetchone()
        return ("postgresql", *row)

    def accept_copied_audit(self) -> None:
        """`store copy`: let this transaction append audit rows as they were written
        elsewhere, with the db_login they carry rather than this login's. The audit
        table's trigger (m008) allows it only while colabctl.copy is on (for this
        transaction alone) and to a login that owns the table, who could drop the
        trigger anyway; anyone else is refused here, before anything is copied (5)."""
        assert self.conn.in_transaction, "only inside the copy's transaction"
        owner = self.conn.native(
            "SELECT pg_has_role(session_user, c.relowner, 'MEMBER'), pg_get_userbyid(c.relowner),"
            " set_config('colabctl.copy', 'on', true)"
            " FROM pg_class c WHERE c.oid = to_regclass('audit')"
        ).fetchone()
        if owner is None or not owner[0]:
            said = {"login": self.db_login, "store": where(self.url), "owner": owner and owner[1]}
            if owner:
                message = _(
                    "the login %(login)s does not own colabctl's tables at %(store)s (they"
                    " belong to %(owner)s): it cannot copy audit rows written by others"
                )
            else:
                message = _(
                    "the login %(login)s does not own colabctl's tables at %(store)s: it"
                    " cannot copy audit rows written by others"
                )
            raise Forbidden(
                message % said,
                hint=_("run `store copy` as the login that owns the tables, or into a new schema"),
            )


def _migrations() -> ModuleType:
    from colabctl.store import pg_migrations

    return pg_migrations


def open_store(url: str, *, create: bool, migrate: bool = True) -> PgStore | None:
    """The store at URL. With create=False (a read), None when colabctl has no tables
    there yet: reads never create a store. Older schemas are brought forward in the first
    transaction (a read migrates it right away, as on SQLite, unless MIGRATE is false)."""
    conn = connect(url)
    store = PgStore(conn, url)
    try:
        store._look()
        if store.version == 0 and not create:
            store.close()
            return None
        if store.behind and not create and migrate:
            with store.transaction():
                pass  # the migration is all this transaction does
    except BaseException:
        store.close()
        raise
    return store
