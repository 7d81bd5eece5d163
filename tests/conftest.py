"""Shared fixtures: every test gets its own store and config files under tmp_path,
a clock it controls, and a CliRunner whose stdout and stderr are read apart.

Plain helpers and the cast live in support.py; the names this module always exported are
re-exported, so `from conftest import ok, OWNER` keeps working."""

from __future__ import annotations

import importlib.util
import os
import re
import secrets
import shutil
import sqlite3
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlrecorder
from bound import BoundCli
from pgcluster import Cluster, find_bindir
from sqlrecorder_site import sqlrecording
from support import (
    ACME,
    BEA,
    BEFORE_READ,
    BOB,
    CAIO,
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
    back_to,
    copy_store,
    create_legal_account,
    ctx_for,
    dump,
    error_lines,
    failure,
    hidden,
    ok,
    pg_back_to,
    pg_schema,
    python,
    refused,
    running_slow,
)
from typer.testing import CliRunner

from colabctl.cli import app, common
from colabctl.core.session import Context
from colabctl.store.engine import Target

# the statement recorder's light half: also loaded by the processes the tests start
RECORDING = Path(sqlrecording.__file__).resolve().parent

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
    """What the outcome of the store tests depends on (the crash tests on SQLite's WAL;
    the PostgreSQL half on the server binaries found)."""
    from importlib.metadata import version

    bindir = find_bindir()
    required = os.environ.get("COLABCTL_REQUIRE_POSTGRES") == "1"
    return [
        f"sqlite: {sqlite3.sqlite_version} (the library Python's sqlite3 is linked with)",
        "typer {}, sqlite-utils {}, rich {}, psycopg {}".format(
            version("typer"), version("sqlite-utils"), version("rich"), version("psycopg")
        ),
        f"postgresql: server binaries {bindir or 'NOT FOUND'}"
        + (" (required: COLABCTL_REQUIRE_POSTGRES=1)" if required else ""),
    ]


# -- the statement recorder (sqlrecorder.py) ---------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    """The run's controller: the processes the tests start (pytest-xdist's workers among
    them) record their statements into one folder."""
    if hasattr(config, "workerinput") or sqlrecording.FOLDER_VARIABLE in os.environ:
        return
    os.environ[sqlrecording.FOLDER_VARIABLE] = tempfile.mkdtemp(prefix="colabctl-sql-")
    path = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(RECORDING), *([path] if path else [])])


def pytest_sessionstart(session: pytest.Session) -> None:
    sqlrecorder.start()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """pytest-xdist's controller: a worker's recorded statements join the rest."""
    found = getattr(node, "workeroutput", {}).get(sqlrecorder.OUTPUT_KEY, {})
    sqlrecorder.merge(found)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A worker hands its statements to the controller; the controller (or a run without
    workers) prepares them all on PostgreSQL."""
    if hasattr(session.config, "workerinput"):
        session.config.workeroutput[sqlrecorder.OUTPUT_KEY] = sqlrecorder.RECORDED  # type: ignore[attr-defined]
        return
    folder = os.environ.get(sqlrecording.FOLDER_VARIABLE)
    if folder:
        sqlrecorder.merge(sqlrecording.left_in(folder))
        shutil.rmtree(folder, ignore_errors=True)
    sqlrecorder.check(session)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if sqlrecorder.RECORDED and not hasattr(terminalreporter.config, "workerinput"):
        terminalreporter.write_line(
            f"statement recorder: {len(sqlrecorder.RECORDED)} distinct statements prepared"
            " on PostgreSQL (tests/sqlrecorder.py)"
        )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before its fixtures: may this test start processes (is it marked slow)?"""
    running_slow(item.get_closest_marker("slow") is not None)


# -- both engines -------------------------------------------------------------------------------
#
# Every test that touches a store (asks for `db_path`, or for `cli` and the fixtures built on
# it) runs once per engine ([sqlite], [postgres]): its store (`db_path`, $COLABCTL_DB) is a
# SQLite file or a PostgreSQL URL to a fresh schema of its own. A test about one engine as
# such narrows it with `@pytest.mark.engines("sqlite")` (or "postgres"). A whole module
# narrows it only with a reason: a module-level `engines` marker of one engine needs a line
# `Engines: <why>` in the module's docstring, and a store-touching module without either
# fails at collection (`pytest_collection_modifyitems`). Tests that touch no store run once.
# A third engine, "bound", is opt-in (a module's marker names it): PostgreSQL again, where
# every command line runs connected as its actor's own bound login (tests/bound.py); the
# command-level suites that name it prove that colabctl needs nothing more than `store
# bind` grants.

ENGINES = ("sqlite", "postgres", "bound")
BOTH = ("sqlite", "postgres")  # what a test that touches a store runs on, unless narrowed
WHY_ONE_ENGINE = "Engines:"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "engine" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("engines")
    names = marker.args if marker is not None else BOTH
    unknown = set(names) - set(ENGINES)
    assert names and not unknown, f"engines({names}): known are {ENGINES}"
    params = [
        pytest.param(name, marks=[pytest.mark.postgres] if name != "sqlite" else [], id=name)
        for name in ENGINES
        if name in names
    ]
    metafunc.parametrize("engine", params, indirect=True)


# What a module that makes its own stores (not through `db_path`) says in its source.
_OWN_STORES = re.compile(
    r"open_for_(read|write)\(|acme_store\(|ctx_for\(|\bcolabctl\(|spawn\(|\.db\b"
)


def _engines_declared(module: pytest.Module) -> tuple[str, ...] | None:
    """The engines a module-level `engines` marker names, if there is one."""
    declared = getattr(module.obj, "pytestmark", [])
    declared = declared if isinstance(declared, list) else [declared]
    marks = [m for m in declared if getattr(m, "name", "") == "engines"]
    return tuple(marks[0].args) if marks else None


def _one_engine_without_reason(module: pytest.Module, items: list[pytest.Item]) -> bool:
    """Whether MODULE touches a store on one engine only without saying why in its
    docstring (`Engines: ...`): its tests narrowed to one engine by a module-level marker,
    or its stores made by its own means (not `db_path`), so never on PostgreSQL."""
    if WHY_ONE_ENGINE in (module.obj.__doc__ or ""):
        return False
    if any("engine" in getattr(item, "fixturenames", ()) for item in items):
        declared = _engines_declared(module)
        return declared is not None and not set(BOTH) <= set(declared)
    return _OWN_STORES.search(module.path.read_text(encoding="utf-8")) is not None


# -- the quick tier -----------------------------------------------------------------------------
#
# `pytest -m "not slow"` is the quick tier: the tests that call core directly on SQLite
# (tests/core) and the plain unit tests beside this file. Which tests are slow is decided
# here, not by hand, in this order:
#   1. marked `slow` (it starts processes, builds the wheel, searches long): slow;
#   2. on PostgreSQL (a [postgres] or [bound] run, a pg_* fixture) or in the browser: slow;
#   3. marked `quick` (the test or its module): quick;
#   4. a property test (hypothesis): slow;
#   5. under tests/cli, tests/store or tests/i18n (the CLI over many commands, the
#      store's own machinery, every command in three languages): slow;
#   6. anything else: quick.
# Plain `pytest` (and CI's `pytest -n auto`) runs both tiers.

TESTS = Path(__file__).resolve().parent
SLOW_FOLDERS = ("cli", "store", "i18n")
_SERVER_FIXTURES = {"pg_url", "pg_cluster", "pg_admin"}


def is_slow(item: pytest.Item) -> bool:
    """Whether ITEM belongs to the slow tier (the rule above)."""
    if item.get_closest_marker("slow") is not None:
        return True
    if item.get_closest_marker("postgres") or item.get_closest_marker("browser"):
        return True
    if _SERVER_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    if item.get_closest_marker("quick") is not None:
        return False
    if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
        return True
    return _in_slow_folder(item.path)


def _in_slow_folder(path: Path) -> bool:
    parts = path.relative_to(TESTS).parts if path.is_relative_to(TESTS) else ()
    return len(parts) > 1 and parts[0] in SLOW_FOLDERS


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """A run of the quick tier alone (`-m "not slow"`, or that and more) does not even
    import a module of the slow folders that marks nothing `quick`: none of its tests
    could run (rule 5), and importing them all would cost the quick tier seconds."""
    markexpr = config.getoption("markexpr") or ""
    quick_only = markexpr == "not slow" or (
        markexpr.startswith("not slow and ") and " or " not in markexpr
    )
    if not quick_only or collection_path.suffix != ".py" or not _in_slow_folder(collection_path):
        return None
    marks_quick = "mark.quick" in collection_path.read_text(encoding="utf-8")
    return None if marks_quick else True


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by the markers added here
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Each test's tier (`is_slow`); a module whose tests touch a store runs them on both
    engines, or says why not. And the slow tests go first, the ones marked so by hand (the
    longest) before the rest, each in their order: under pytest-xdist the longest then
    start early, rather than last on one worker while the others wait."""
    marked = {item: item.get_closest_marker("slow") is not None for item in items}
    for item in items:
        if not marked[item] and is_slow(item):
            item.add_marker(pytest.mark.slow)
    items.sort(key=lambda item: (not marked[item], item.get_closest_marker("slow") is None))
    modules: dict[pytest.Module, list[pytest.Item]] = {}
    for item in items:
        module = item.getparent(pytest.Module)
        if module is not None:
            modules.setdefault(module, []).append(item)
    offenders = sorted(
        m.nodeid for m, found in modules.items() if _one_engine_without_reason(m, found)
    )
    if offenders:
        raise pytest.UsageError(
            "these test modules touch a store but run on one engine without saying why"
            f" (a line `{WHY_ONE_ENGINE} ...` in the module docstring): " + ", ".join(offenders)
        )


@pytest.fixture
def engine(request: pytest.FixtureRequest) -> str:
    """The engine of this test's store (a parameter: see pytest_generate_tests)."""
    name: str = getattr(request, "param", "sqlite")
    return name


@pytest.fixture
def db_path(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Target:
    """This test's store: tmp_path/store.db, or on PostgreSQL a URL to a fresh schema; it is
    $COLABCTL_DB for the test."""
    target: Target = tmp_path / "store.db"
    if engine in ("postgres", "bound"):
        target = str(request.getfixturevalue("pg_url"))
    monkeypatch.setenv("COLABCTL_DB", str(target))
    return target


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test touches the real store, config or locale; output is plain and wide. The
    store is tmp_path/store.db unless the test asks for `db_path` (then per engine)."""
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
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(common, "CLOCK", fake)
    return fake


@pytest.fixture
def cli(
    clock: FakeClock, db_path: Target, engine: str, request: pytest.FixtureRequest
) -> Iterator[Cli]:
    """colabctl in process, on this test's store (so on each engine); on the bound engine,
    each line as its actor's own bound login (tests/bound.py)."""
    if engine != "bound":
        yield Cli(CliRunner())
        return
    assert isinstance(db_path, str)
    bound = BoundCli(
        CliRunner(), db_path, request.getfixturevalue("pg_admin"), pg_schema(db_path), clock
    )
    BEFORE_READ.append(bound.bind_everyone)
    yield bound
    BEFORE_READ.remove(bound.bind_everyone)
    bound.drop()


@pytest.fixture
def unchanged(db_path: Target) -> Callable[[], None]:
    """Call once to snapshot; the returned checker asserts the store is byte-for-byte as it was."""
    before = dump(db_path)

    def check() -> None:
        assert dump(db_path) == before

    return check


@pytest.fixture
def owner_ctx(db_path: Target, clock: FakeClock) -> Context:
    return ctx_for(db_path, OWNER, clock)


@pytest.fixture
def ctx_as(db_path: Target, clock: FakeClock) -> Callable[[str | None], Context]:
    """Core's Context on this test's store and clock, acting as the email given (None:
    nobody named, so the logged-in user if there is one)."""
    return lambda actor: ctx_for(db_path, actor, clock)


LEGAL_STEPS: list[Step] = [
    ["login", OWNER, "--name", "Ana Souza"],
    ["account", "create", ACME, "--name", "Acme Cursos", "--tax-id", CNPJ, "--country", "BR"],
    ["profile", "create", "soporte", "--preset", "soporte", "-a", ACME],
    ["profile", "create", "tecnico", "--preset", "tecnico", "-a", ACME],
]


class Built:
    """A store built once (`built_by_cli`) and the files its steps left in FOLDER."""

    def __init__(self, folder: Path, store: Target) -> None:
        self.folder = folder
        self.store = store


# A step of `built_by_cli`: a command line, or something done with its clock and store.
Step = list[str] | Callable[[FakeClock, Target], object]


def built_by_cli(folder: Path, steps: list[Step], store: Target | None = None) -> Built:
    """Run STEPS ({folder} in them is FOLDER) through the CLI on STORE (default
    FOLDER/store.db) and FOLDER/config.toml, on a FakeClock that starts at START (as the
    `clock` fixture's) and moves only when a step moves it, so that a copy is what the same
    steps in a test would have left."""
    target: Target = folder / "store.db" if store is None else store
    env: dict[str, str | None] = {
        "COLABCTL_DB": str(target),
        "COLABCTL_CONFIG": str(folder / "config.toml"),
        "COLABCTL_USER": None,
        "COLABCTL_ACCOUNT": None,
    }
    runner = CliRunner()
    saved = common.CLOCK
    clock = common.CLOCK = FakeClock()
    try:
        for step in steps:
            if callable(step):
                step(clock, target)
                continue
            args = [arg.format(folder=folder) for arg in step]
            result = runner.invoke(app, args, env=env)
            assert result.exit_code == 0, (args, result.stderr)
    finally:
        common.CLOCK = saved
    assert not (folder / "store.db-wal").exists()  # every command closed the store
    return Built(folder, target)


def copy_built(template: Built, db_path: Target, tmp_path: Path) -> None:
    """A `built_by_cli` store to DB_PATH, its config to the test's config."""
    copy_store(template.store, db_path)
    shutil.copyfile(template.folder / "config.toml", tmp_path / "config.toml")


class Templates:
    """Stores built once per session and engine, on first use: `get(name, engine, build)`;
    BUILD(folder, store) builds one. On PostgreSQL each lives in a schema of its own."""

    def __init__(self, factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> None:
        self.factory = factory
        self.request = request
        self.built: dict[tuple[str, str], Built] = {}

    def get(self, name: str, engine: str, build: Callable[[Path, Target], Built]) -> Built:
        engine = "postgres" if engine == "bound" else engine  # (the store owner builds it)
        if (name, engine) not in self.built:
            folder = self.factory.mktemp(f"{name}-{engine}")
            store: Target = folder / "store.db"
            if engine == "postgres":
                cluster = self.request.getfixturevalue("pg_cluster")
                admin = self.request.getfixturevalue("pg_admin")
                store = new_pg_schema(cluster, admin, f"tpl_{name}")
            self.built[name, engine] = build(folder, store)
        return self.built[name, engine]


@pytest.fixture(scope="session")
def templates(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Templates:
    return Templates(tmp_path_factory, request)


@pytest.fixture
def legal_template(templates: Templates, engine: str) -> Built:
    return templates.get(
        "legal", engine, lambda folder, store: built_by_cli(folder, LEGAL_STEPS, store)
    )


@pytest.fixture
def legal_account(cli: Cli, legal_template: Built, db_path: Target, tmp_path: Path) -> str:
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


@pytest.fixture
def team(cli: Cli, legal_account: str) -> str:
    """bea is active in acme-cursos (soporte), caio pending (tecnico); ana is logged in.
    (A module whose tests need another team defines its own `team`.)"""
    ok(cli("--as", OWNER, "invite", BEA, "--profile", "soporte", "-a", ACME))
    ok(cli("--as", BEA, "accept", ACME))
    ok(cli("--as", OWNER, "invite", CAIO, "--profile", "tecnico", "-a", ACME))
    return legal_account


WORLD_STEPS: list[Step] = [
    *LEGAL_STEPS,
    ["login", BOB],
    ["login", CARLA],
    ["login", OWNER],
    ["invite", BOB, "--profile", "soporte", "-a", ACME],
    ["account", "create", PLAIN, "--name", "Acme Personal"],
    ["profile", "export", "soporte", "-o", "{folder}/soporte-export.toml", "-a", ACME],
]


@pytest.fixture
def world_template(templates: Templates, engine: str) -> Built:
    """The world's store and config, built once per engine (the failure tables are long)."""
    return templates.get(
        "world", engine, lambda folder, store: built_by_cli(folder, WORLD_STEPS, store)
    )


@pytest.fixture
def world(cli: Cli, world_template: Built, db_path: Target, tmp_path: Path) -> dict[str, str]:
    """ana owns acme-cursos (legal: soporte, tecnico) and acme (no tax ID); bob is invited
    to acme-cursos as soporte (pending); carla is registered and in nothing. Plus files."""
    copy_built(world_template, db_path, tmp_path)
    exported = tmp_path / "soporte-export.toml"
    shutil.copyfile(world_template.folder / "soporte-export.toml", exported)
    bad_toml = tmp_path / "bad.toml"
    bad_toml.write_text('name = "x"\npermissions = [\n  "products.view"\n  oops\n', "utf-8")
    owner_only = tmp_path / "owner-only.toml"
    owner_only.write_text('name = "x"\npermissions = ["products.view", "account.bank"]\n', "utf-8")
    return {"export": str(exported), "bad_toml": str(bad_toml), "owner_only": str(owner_only)}


# -- a store built through core, and the wheel ---------------------------------------------------


@pytest.fixture
def acme_template(templates: Templates, engine: str) -> Target:
    """`support.acme_store`, built once per engine: ana owns acme-cursos (soporte, tecnico),
    bob active in soporte. Copy it (`support.copy_store`); never write to it."""

    def build(folder: Path, store: Target) -> Built:
        return Built(folder, acme_store(folder / "template.db" if engine == "sqlite" else store))

    return templates.get("acme", engine, build).store


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The store `colabctl demo` builds (core/demo.py; every table but review_acks and
    store_bindings holds rows), at START, built once, its demo-policy/ folder beside it.
    Copy it, never write to it."""
    from colabctl.core import demo

    return demo.build(tmp_path_factory.mktemp("demo") / "demo.db", clock=FakeClock(START)).path


@pytest.fixture
def acme_db(acme_template: Target, db_path: Target) -> Target:
    """This test's store, holding what `support.acme_store` builds (copied from
    `acme_template`): ana owns acme-cursos (soporte, tecnico), bob active in soporte."""
    return copy_store(acme_template, db_path)


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


@pytest.fixture(scope="session")
def pg_admin(pg_cluster: Cluster) -> Iterator[Any]:
    """One superuser connection (autocommit) to colabctl_test for the whole run: creating and
    dropping the tests' schemas costs no login each (a scram login is ~20 ms)."""
    import psycopg

    with psycopg.connect(pg_cluster.url(PG_DATABASE), autocommit=True) as conn:
        yield conn


def new_pg_schema(cluster: Cluster, admin: Any, prefix: str = "t") -> str:
    """A URL (as the superuser) whose connections see a fresh, empty schema PREFIX_xxxx of
    their own, first on their search_path: colabctl's tables, views and functions land
    there (support.pg_schema names it)."""
    schema = f"{prefix}_{secrets.token_hex(6)}"
    admin.execute(f"CREATE SCHEMA {schema}")
    return f"{cluster.url(PG_DATABASE)}?options=-csearch_path%3D{schema}"


def older_store(
    db: Target, stop_before: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Target:
    """The rows, audit rows and head of the test's store DB in a store made by every
    migration before STOP_BEFORE (as an older colabctl left it), which becomes the test's
    store (returned): on SQLite the file itself, on PostgreSQL a new schema."""
    if not isinstance(db, str):
        back_to(db, stop_before)
        return db
    admin = request.getfixturevalue("pg_admin")
    old = new_pg_schema(request.getfixturevalue("pg_cluster"), admin, "old")
    request.addfinalizer(lambda: admin.execute(f"DROP SCHEMA {pg_schema(old)} CASCADE"))
    pg_back_to(db, old, stop_before)
    monkeypatch.setenv("COLABCTL_DB", old)
    return old


@pytest.fixture
def pg_url(pg_cluster: Cluster, pg_admin: Any) -> Iterator[str]:
    """A URL (as the superuser) whose connections see a fresh, empty schema of their own,
    first on their search_path. The schema is dropped afterwards."""
    url = new_pg_schema(pg_cluster, pg_admin)
    yield url
    pg_admin.execute(f"DROP SCHEMA {pg_schema(url)} CASCADE")
