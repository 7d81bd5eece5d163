"""`store bind` / `store unbind` and who really acted, with two real database logins on
the throwaway server (docs/postgres.md, "Who really acted")."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import OWNER, Cli, as_owner, failure, ok

pytestmark = pytest.mark.postgres

ACME = "acme-cursos"
BRUNO = "bruno.costa@example.com"
CARLA = "carla.mendes@example.com"
CNPJ = "11.222.333/0001-81"


def _as_login(url: str, login: str, password: str) -> str:
    """URL, connecting as LOGIN instead of the superuser."""
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{login}:{password}@{rest.split('@', 1)[1]}"


@pytest.fixture
def team(cli: Cli, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A store on the server (built by the superuser, who owns its tables) with ana's
    account, bruno invited to it, carla registered; and two logins, `bruno_db` and
    `carla_db` (their names made unique: roles are the server's), created and nothing
    more: nobody grants them anything by hand. Maps "bruno_db" and "carla_db" to each
    login's URL, and "names" to their real names, space-separated."""
    import psycopg

    monkeypatch.setenv("COLABCTL_DB", pg_url)
    ok(cli("login", OWNER))
    ok(
        cli(
            *as_owner(
                "account", "create", ACME, "--name", "Acme", "--tax-id", CNPJ, "--country", "BR"
            )
        )
    )
    ok(cli(*as_owner("profile", "create", "soporte", "--preset", "soporte", "-a", ACME)))
    ok(cli(*as_owner("invite", BRUNO, "--profile", "soporte", "-a", ACME)))
    ok(cli("--as", CARLA, "login", CARLA))
    suffix = secrets.token_hex(3)
    logins: dict[str, str] = {}
    names = []
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for login in ("bruno_db", "carla_db"):
            name = f"{login}_{suffix}"
            conn.execute(f"CREATE ROLE {name} LOGIN PASSWORD 'pw-{name}'")
            logins[login] = _as_login(pg_url, name, f"pw-{name}")
            names.append(name)
    yield {**logins, "names": " ".join(names)}
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for name in names:
            conn.execute(f"DROP OWNED BY {name}")
            conn.execute(f"DROP ROLE {name}")


def login_of(url: str) -> str:
    """The login a URL connects as."""
    return url.split("://", 1)[1].split(":", 1)[0]


def _log(cli: Cli) -> list[dict[str, object]]:
    """acme-cursos's audit rows, newest first, as `audit log --json` gives them."""
    rows: list[dict[str, object]] = json.loads(
        ok(cli(*as_owner("audit", "log", "--json", "--limit", "500", "-a", ACME))).stdout
    )
    return rows


def _chain(url: str) -> list[tuple[object, ...]]:
    """Every audit row (store-wide ones too: bindings belong to no account), newest first."""
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT action, target, actor, db_login, details FROM audit ORDER BY seq DESC"
        ).fetchall()


def test_a_bound_login_acts_as_its_user_and_nobody_else(
    cli: Cli, team: dict[str, str], pg_url: str
) -> None:
    bruno_db = team["bruno_db"]
    name = login_of(bruno_db)
    done = ok(cli(*as_owner("store", "bind", name, BRUNO)))
    assert name in done.stdout + done.stderr
    action, target, actor, login, details = _chain(pg_url)[0]
    assert (action, target, actor, login) == ("store.bind", name, OWNER, "postgres")
    assert json.loads(str(details)) == {"user": BRUNO}

    # no actor given: the login acts as its user, for writes and reads; its rows carry
    # its login, not shown beside the actor (it is theirs)
    ok(cli("--db", bruno_db, "accept", ACME))
    row = _log(cli)[0]
    assert (row["action"], row["actor"], row["db_login"]) == ("invitation.accept", BRUNO, name)
    shown = ok(cli("--db", bruno_db, "audit", "log", "--limit", "1", "-a", ACME)).stdout
    assert BRUNO in shown and "(login" not in shown
    who = ok(cli("--db", bruno_db, "whoami", "--json"))
    assert json.loads(who.stdout)["user"] == BRUNO
    ok(cli("--db", bruno_db, "can", BRUNO, "purchases.request_refunds", "-a", ACME))
    # anyone else: 5, whether claimed by --as or by $COLABCTL_USER, read or write
    for args in (
        ("--as", OWNER, "account", "list"),
        ("--as", OWNER, "invite", CARLA, "--profile", "soporte", "-a", ACME),
        ("--as", CARLA, "can", CARLA, "products.view", "-a", ACME),
        ("login", CARLA),
    ):
        before = _chain(pg_url)
        line, _ = failure(cli("--db", bruno_db, *args), 5)
        assert f"bound to {BRUNO}" in line and name in line
        assert _chain(pg_url) == before
    # naming itself is fine
    ok(cli("--db", bruno_db, "--as", BRUNO, "can", BRUNO, "purchases.request_refunds", "-a", ACME))
    ok(cli("--db", bruno_db, "login", BRUNO, "--name", "Bruno"))
    assert _chain(pg_url)[0][:4] == ("user.rename", BRUNO, BRUNO, name)


UNBOUND_READS = (
    ("whoami",),
    ("account", "list"),
    ("--as", OWNER, "account", "show", ACME),
    ("--as", OWNER, "can", OWNER, "products.view", "-a", ACME),
    ("audit", "head"),
    ("store", "info"),
)
UNBOUND_WRITES = (
    ("--as", OWNER, "invite", CARLA, "--profile", "soporte", "-a", ACME),
    ("--as", CARLA, "account", "create", "carla-co", "--name", "Carla Co"),
    ("--as", CARLA, "login", CARLA, "--name", "Carla"),
)


def test_an_unbound_login_may_do_nothing(cli: Cli, team: dict[str, str], pg_url: str) -> None:
    carla_db = team["carla_db"]
    name = login_of(carla_db)
    before = _chain(pg_url)
    for args in UNBOUND_READS + UNBOUND_WRITES:
        line, hint = failure(cli("--db", carla_db, *args), 5)
        assert line == f"error: login {name} is not bound to a colabctl user", args
        assert hint == f"hint: the store owner runs colabctl store bind {name} EMAIL"
    assert _chain(pg_url) == before
    # once bound, its rows carry its login (not shown: it is the actor's own), and the
    # store owner's rows made in another's name show the login that made them
    ok(cli(*as_owner("store", "bind", name, CARLA)))
    ok(cli("--db", carla_db, "account", "create", "carla-co", "--name", "Carla Co"))
    row = _chain(pg_url)[0]
    assert row[:4] == ("account.create", "carla-co", CARLA, name)
    table = ok(cli("--db", carla_db, "audit", "log", "-a", "carla-co")).stdout
    assert CARLA in table and "(login" not in table
    table = ok(cli(*as_owner("audit", "log", "--limit", "1", "-a", ACME))).stdout
    assert f"{OWNER} (login postgres)" in table
    ok(cli(*as_owner("audit", "verify")))


def test_only_the_tables_owner_binds(cli: Cli, team: dict[str, str], pg_url: str) -> None:
    carla = login_of(team["carla_db"])
    bruno = login_of(team["bruno_db"])
    ok(cli(*as_owner("store", "bind", carla, CARLA)))
    before = _chain(pg_url)
    for args in (("bind", carla, OWNER), ("bind", bruno, CARLA), ("unbind", carla)):
        line, _ = failure(cli("--db", team["carla_db"], "store", *args), 5)
        assert "owns colabctl's tables" in line
    assert _chain(pg_url) == before


def test_bind_refusals_leave_the_bindings_as_they_were(
    cli: Cli, team: dict[str, str], pg_url: str
) -> None:
    bruno, carla = login_of(team["bruno_db"]), login_of(team["carla_db"])
    ok(cli(*as_owner("store", "bind", bruno, BRUNO)))
    before = _chain(pg_url)
    failure(cli(*as_owner("store", "bind", bruno, CARLA)), 4, hint="unbind")
    failure(cli(*as_owner("store", "bind", "nobody_db", CARLA)), 3)
    failure(cli(*as_owner("store", "bind", carla, "nobody@example.com")), 3)
    failure(cli(*as_owner("store", "unbind", carla)), 3)
    # the same binding again changes nothing
    ok(cli(*as_owner("store", "bind", bruno, BRUNO)))
    assert _chain(pg_url) == before
    # unbinding takes everything back: the login may do nothing at all
    ok(cli("--db", team["bruno_db"], "whoami"))
    ok(cli(*as_owner("store", "unbind", bruno)))
    assert _chain(pg_url)[0][:2] == ("store.unbind", bruno)
    for args in UNBOUND_READS:
        line, _ = failure(cli("--db", team["bruno_db"], *args), 5)
        assert line == f"error: login {bruno} is not bound to a colabctl user"


@pytest.mark.engines("sqlite")  # about a SQLite store
def test_bind_on_sqlite_is_invalid_and_creates_nothing(cli: Cli, db_path: Path) -> None:
    for args in (("bind", "ana", OWNER), ("unbind", "ana")):
        line, _ = failure(cli(*as_owner("store", *args)), 6)
        assert "PostgreSQL" in line
    assert not db_path.exists()
