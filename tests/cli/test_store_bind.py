"""`store bind` / `store unbind` and who really acted, with two real database logins on
the throwaway server (docs/postgres.md, "Who really acted")."""

from __future__ import annotations

import json
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
    `carla_db`, allowed to use the tables and nothing more."""
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
    schema = pg_url.rsplit("%3D", 1)[1]
    logins = {}
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for login in ("bruno_db", "carla_db"):
            password = f"pw-{login}"
            conn.execute(f"DROP ROLE IF EXISTS {login}")
            conn.execute(f"CREATE ROLE {login} LOGIN PASSWORD '{password}'")
            conn.execute(f"GRANT USAGE ON SCHEMA {schema} TO {login}")
            conn.execute(
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {login}"
            )
            logins[login] = _as_login(pg_url, login, password)
    yield logins
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for login in logins:
            conn.execute(f"DROP OWNED BY {login}")
            conn.execute(f"DROP ROLE {login}")


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
    done = ok(cli(*as_owner("store", "bind", "bruno_db", BRUNO)))
    assert "bruno_db" in done.stdout + done.stderr
    action, target, actor, login, details = _chain(pg_url)[0]
    assert (action, target, actor, login) == ("store.bind", "bruno_db", OWNER, "postgres")
    assert json.loads(str(details)) == {"user": BRUNO}

    # no actor given: the login acts as its user, for writes and reads; its rows carry
    # its login, not shown beside the actor (it is theirs)
    ok(cli("--db", bruno_db, "accept", ACME))
    row = _log(cli)[0]
    assert (row["action"], row["actor"], row["db_login"]) == (
        "invitation.accept",
        BRUNO,
        "bruno_db",
    )
    assert "(login" not in ok(cli(*as_owner("audit", "log", "--limit", "1"))).stdout
    who = ok(cli("--db", bruno_db, "whoami", "--json"))
    assert json.loads(who.stdout)["user"] == BRUNO
    ok(cli("--db", bruno_db, "can", BRUNO, "purchases.request_refunds", "-a", ACME))
    # anyone else: 5, whether claimed by --as or by $COLABCTL_USER, read or write
    for args in (
        ("--as", OWNER, "account", "list"),
        ("--as", OWNER, "invite", CARLA, "--profile", "soporte", "-a", ACME),
        ("--as", CARLA, "can", CARLA, "products.view", "-a", ACME),
    ):
        before = _chain(pg_url)
        line, _ = failure(cli("--db", bruno_db, *args), 5)
        assert f"bound to {BRUNO}" in line and "bruno_db" in line
        assert _chain(pg_url) == before
    # naming itself is fine
    ok(cli("--db", bruno_db, "--as", BRUNO, "can", BRUNO, "purchases.request_refunds", "-a", ACME))


def test_rows_record_the_login_that_wrote_them(cli: Cli, team: dict[str, str]) -> None:
    carla_db = team["carla_db"]
    # an unbound login may claim anyone: the row says which login made the claim
    ok(cli("--db", carla_db, *as_owner("invite", CARLA, "--profile", "soporte", "-a", ACME)))
    row = _log(cli)[0]
    assert (row["actor"], row["db_login"], row["action"]) == (
        OWNER,
        "carla_db",
        "invitation.create",
    )
    table = ok(cli(*as_owner("audit", "log", "--limit", "1"))).stdout
    assert f"{OWNER} (login carla_db)" in table
    # a bound login's own rows do not repeat it
    ok(cli(*as_owner("store", "bind", "carla_db", CARLA)))
    ok(cli("--db", carla_db, "accept", ACME))
    table = ok(cli(*as_owner("audit", "log", "--limit", "1"))).stdout
    assert CARLA in table and "(login" not in table
    assert _log(cli)[0]["db_login"] == "carla_db"
    ok(cli(*as_owner("audit", "verify")))


def test_only_the_tables_owner_binds(cli: Cli, team: dict[str, str], pg_url: str) -> None:
    before = _chain(pg_url)
    for args in (("bind", "carla_db", CARLA), ("bind", "bruno_db", CARLA), ("unbind", "x")):
        line, _ = failure(cli("--db", team["carla_db"], "--as", CARLA, "store", *args), 5)
        assert "owns colabctl's tables" in line
    assert _chain(pg_url) == before


def test_bind_refusals_leave_the_bindings_as_they_were(
    cli: Cli, team: dict[str, str], pg_url: str
) -> None:
    ok(cli(*as_owner("store", "bind", "bruno_db", BRUNO)))
    before = _chain(pg_url)
    failure(cli(*as_owner("store", "bind", "bruno_db", CARLA)), 4, hint="unbind")
    failure(cli(*as_owner("store", "bind", "nobody_db", CARLA)), 3)
    failure(cli(*as_owner("store", "bind", "carla_db", "nobody@example.com")), 3)
    failure(cli(*as_owner("store", "unbind", "carla_db")), 3)
    # the same binding again changes nothing
    ok(cli(*as_owner("store", "bind", "bruno_db", BRUNO)))
    assert _chain(pg_url) == before
    # unbinding frees the login: it may claim others again (shown in the log)
    ok(cli(*as_owner("store", "unbind", "bruno_db")))
    assert _chain(pg_url)[0][:2] == ("store.unbind", "bruno_db")
    ok(cli("--db", team["bruno_db"], "--as", OWNER, "account", "list"))


@pytest.mark.engines("sqlite")  # about a SQLite store
def test_bind_on_sqlite_is_invalid_and_creates_nothing(cli: Cli, db_path: Path) -> None:
    for args in (("bind", "ana", OWNER), ("unbind", "ana")):
        line, _ = failure(cli(*as_owner("store", *args)), 6)
        assert "PostgreSQL" in line
    assert not db_path.exists()
