"""Shared fixtures: every test gets its own store and config files under tmp_path,
a clock it controls, and a CliRunner whose stdout and stderr are read apart.

Plain helpers and the cast live in support.py; the names this module always exported are
re-exported, so `from conftest import ok, OWNER` keeps working."""

from __future__ import annotations

import importlib.util
import os
import secrets
import shutil
import sqlite3
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pgcluster import Cluster, find_bindir
from support import (
    ACME,
    BOB,
    CARLA,
    CNPJ,
    OWNER,
    PLAIN,
    ROOT,
    START,
    Cli,
    FakeClock,
    acme_store,
    as_owner,
    create_legal_account,
    ctx_for,
    dump,
    error_lines,
    failure,
    hidden,
    ok,
    python,
    refused,
    running_slow,
)
from typer.testing import CliRunner

from colabctl.cli import app, common
from colabctl.core.session import Context

__all__ = [
    "CNPJ",
    "OWNER",
    "START",
    "Cli",
    "FakeClock",
    "as_owner",
    "create_legal_account",
    "ctx_for",
    "dump",
    "error_lines",
    "failure",
    "hidden",
    "ok",
    "refused",
]


def pytest_report_header() -> list[str]:
    """What the outcome of the store tests depends on (the crash tests on SQLite's WAL)."""
    from importlib.metadata import version

    return [
        f"sqlite: {sqlite3.sqlite_version} (the library Python's sqlite3 is linked with)",
        "typer {}, sqlite-utils {}, rich {}".format(
            version("typer"), version("sqlite-utils"), version("rich")
        ),
    ]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before its fixtures: may this test start processes (is it marked slow)?"""
    running_slow(item.get_closest_marker("slow") is not None)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test touches the real store, config or locale; output is plain and wide."""
    monkeypatch.setenv("COLABCTL_DB", str(tmp_path / "store.db"))
    monkeypatch.setenv("COLABCTL_CONFIG", str(tmp_path / "config.toml"))
    for var in (
        "COLABCTL_USER",
        "COLABCTL_ACCOUNT",
        "COLABCTL_LANG",
        "COLABCTL_DEBUG",
        "LC_ALL",
        "LC_MESSAGES",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "160")
    from colabctl.cli import output

    output.console.cache_clear()
    yield
    output.console.cache_clear()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(common, "CLOCK", fake)
    return fake


@pytest.fixture
def cli(clock: FakeClock) -> Cli:
    return Cli(CliRunner())


@pytest.fixture
def unchanged(db_path: Path) -> Callable[[], None]:
    """Call once to snapshot; the returned checker asserts the store is byte-for-byte as it was."""
    before = dump(db_path)

    def check() -> None:
        assert dump(db_path) == before

    return check


@pytest.fixture
def owner_ctx(db_path: Path, clock: FakeClock) -> Context:
    return ctx_for(db_path, OWNER, clock)


LEGAL_STEPS = [
    ["login", OWNER, "--name", "Ana Souza"],
    ["account", "create", ACME, "--name", "Acme Cursos", "--tax-id", CNPJ, "--country", "BR"],
    ["profile", "create", "soporte", "--preset", "soporte", "-a", ACME],
    ["profile", "create", "tecnico", "--preset", "tecnico", "-a", ACME],
]


def built_by_cli(folder: Path, steps: list[list[str]]) -> Path:
    """Run STEPS ({folder} in them is FOLDER) through the CLI on FOLDER/store.db and
    FOLDER/config.toml, on a FakeClock that stays at START (as the `clock` fixture's), so
    that a copy is byte for byte what the same steps in a test would have left."""
    env: dict[str, str | None] = {
        "COLABCTL_DB": str(folder / "store.db"),
        "COLABCTL_CONFIG": str(folder / "config.toml"),
        "COLABCTL_USER": None,
        "COLABCTL_ACCOUNT": None,
    }
    runner = CliRunner()
    saved = common.CLOCK
    common.CLOCK = FakeClock()
    try:
        for step in steps:
            args = [arg.format(folder=folder) for arg in step]
            result = runner.invoke(app, args, env=env)
            assert result.exit_code == 0, (args, result.stderr)
    finally:
        common.CLOCK = saved
    assert not (folder / "store.db-wal").exists()  # every command closed the store
    return folder


def copy_built(template: Path, db_path: Path, tmp_path: Path) -> None:
    """A `built_by_cli` folder's store to DB_PATH, its config to the test's config."""
    shutil.copyfile(template / "store.db", db_path)
    shutil.copyfile(template / "config.toml", tmp_path / "config.toml")


@pytest.fixture(scope="session")
def legal_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_by_cli(tmp_path_factory.mktemp("legal"), LEGAL_STEPS)


@pytest.fixture
def legal_account(cli: Cli, legal_template: Path, db_path: Path, tmp_path: Path) -> str:
    """ana owns acme-cursos, a legal entity (CNPJ), with the soporte and tecnico presets, and
    is logged in: what `LEGAL_STEPS` leave, built once and copied."""
    copy_built(legal_template, db_path, tmp_path)
    return ACME


# -- the foundation's people and world (tests/cli/test_session, _accounts, _profiles) ------------


@pytest.fixture
def ana(cli: Cli) -> str:
    ok(cli("login", OWNER, "--name", "Ana Souza"))
    return OWNER


@pytest.fixture
def bob(cli: Cli, ana: str) -> str:
    """bob is a registered user; ana stays the logged-in one."""
    ok(cli("login", BOB))
    ok(cli("login", OWNER))
    return BOB


@pytest.fixture
def invited(cli: Cli, legal_account: str, bob: str) -> str:
    """bob holds soporte in acme-cursos, pending."""
    ok(cli("invite", BOB, "--profile", "soporte", "-a", legal_account))
    return BOB


@pytest.fixture
def active(cli: Cli, invited: str) -> str:
    """bob holds soporte in acme-cursos, active."""
    ok(cli("--as", BOB, "accept", ACME))
    return BOB


WORLD_STEPS = [
    *LEGAL_STEPS,
    ["login", BOB],
    ["login", CARLA],
    ["login", OWNER],
    ["invite", BOB, "--profile", "soporte", "-a", ACME],
    ["account", "create", PLAIN, "--name", "Acme Personal"],
    ["profile", "export", "soporte", "-o", "{folder}/soporte-export.toml", "-a", ACME],
]


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The world's store and config, built once (the failure tables are long)."""
    return built_by_cli(tmp_path_factory.mktemp("world"), WORLD_STEPS)


@pytest.fixture
def world(cli: Cli, world_template: Path, db_path: Path, tmp_path: Path) -> dict[str, str]:
    """ana owns acme-cursos (legal: soporte, tecnico) and acme (no tax ID); bob is invited
    to acme-cursos as soporte (pending); carla is registered and in nothing. Plus files."""
    copy_built(world_template, db_path, tmp_path)
    exported = tmp_path / "soporte-export.toml"
    shutil.copyfile(world_template / "soporte-export.toml", exported)
    bad_toml = tmp_path / "bad.toml"
    bad_toml.write_text('name = "x"\npermissions = [\n  "products.view"\n  oops\n', "utf-8")
    owner_only = tmp_path / "owner-only.toml"
    owner_only.write_text('name = "x"\npermissions = ["products.view", "account.bank"]\n', "utf-8")
    return {"export": str(exported), "bad_toml": str(bad_toml), "owner_only": str(owner_only)}


# -- a store built through core, and the wheel ---------------------------------------------------


@pytest.fixture(scope="session")
def acme_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`support.acme_store`, built once: ana owns acme-cursos (soporte, tecnico), bob active
    in soporte. Copy it (`support.copy_store`); never write to it."""
    return acme_store(tmp_path_factory.mktemp("acme") / "template.db")


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel `pip wheel` builds from this checkout (once per run; slow tests only)."""
    assert (ROOT / "pyproject.toml").is_file(), ROOT
    out = tmp_path_factory.mktemp("wheel")
    command = ["-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out)]
    if importlib.util.find_spec("hatchling") is not None:
        command.append("--no-build-isolation")  # the backend is here: no download
    done = python(*command, str(ROOT), timeout=300)
    assert done.returncode == 0, done.stderr
    built = list(out.glob("colabctl-*.whl"))
    assert len(built) == 1, built
    return built[0]


@pytest.fixture(scope="session")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel unpacked into a folder of its own: put it first on PYTHONPATH to run what a
    user installs (catalog.json included) rather than this checkout."""
    site = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    return site


# -- PostgreSQL (tests/pgcluster.py) ---------------------------------------------------------

PG_DATABASE = "colabctl_test"
NO_SERVER = "no PostgreSQL server binaries (initdb, pg_ctl): install Debian's postgresql package"


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """One throwaway PostgreSQL server for the whole run, with the database colabctl_test
    (ICU en-US collation where the server has ICU, so that byte order is not the default
    and the schema's COLLATE "C" is what makes ordering match SQLite's). Skipped without
    server binaries, unless COLABCTL_REQUIRE_POSTGRES=1: then that is a failure."""
    bindir = find_bindir()
    if bindir is None:
        if os.environ.get("COLABCTL_REQUIRE_POSTGRES") == "1":
            pytest.fail(NO_SERVER)
        pytest.skip(NO_SERVER)
    import psycopg

    cluster = Cluster(bindir).start()
    try:
        with psycopg.connect(cluster.url(), autocommit=True) as conn:
            try:
                conn.execute(
                    f"CREATE DATABASE {PG_DATABASE} TEMPLATE template0"
                    " LOCALE_PROVIDER icu ICU_LOCALE 'en-US'"
                )
            except psycopg.Error:  # a server built without ICU
                conn.execute(f"CREATE DATABASE {PG_DATABASE}")
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def pg_url(pg_cluster: Cluster) -> Iterator[str]:
    """A URL (as the superuser) whose connections see a fresh, empty schema of their own,
    first on their search_path: colabctl's tables, views and functions land there. The
    schema is dropped afterwards."""
    import psycopg

    schema = f"t_{secrets.token_hex(6)}"
    admin = pg_cluster.url(PG_DATABASE)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    url = f"{admin}?options=-csearch_path%3D{schema}"
    with psycopg.connect(url) as conn:
        found = conn.execute("SELECT current_schema()").fetchone()
        assert found is not None and found[0] == schema, (found, schema)
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")
