"""Shared fixtures: every test gets its own store and config files under tmp_path,
a clock it controls, and a CliRunner whose stdout and stderr are read apart."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from colabctl.cli import app, common
from colabctl.core.session import Context

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
OWNER = "ana.souza@example.com"
CNPJ = "11.222.333/0001-81"


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


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


@dataclass
class Cli:
    runner: CliRunner

    def __call__(
        self, *args: str, input: str | None = None, env: dict[str, str] | None = None
    ) -> Result:
        return self.runner.invoke(app, list(args), input=input, env=env)


@pytest.fixture
def cli(clock: FakeClock) -> Cli:
    return Cli(CliRunner())


def dump(path: Path) -> list[str]:
    """The store's whole content as SQL, to compare before and after a failure."""
    if not path.exists():
        return []
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def as_owner(*args: str) -> tuple[str, ...]:
    """A command line run as the owner of the test accounts."""
    return ("--as", OWNER, *args)


# -- what every command's outcome must look like (SPEC section 3) ---------------------------


def ok(result: Result, code: int = 0) -> Result:
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    return result


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


def failure(result: Result, *codes: int, hint: str | None = None) -> tuple[str, str | None]:
    """`error_lines` for an in-process run, which must also have ended by a clean exit."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return error_lines(result.exit_code, result.stdout, result.stderr, *codes, hint=hint)


def refused(
    cli: Cli, db_path: Path, code: int, *args: str, hint: str | None = None, **kw: Any
) -> Result:
    """Run a command that must fail with `code` and leave the store exactly as it was."""
    before = dump(db_path)
    result = cli(*args, **kw)
    failure(result, code, hint=hint)
    assert dump(db_path) == before, f"{args} changed the store"
    return result


def hidden(cli: Cli, db_path: Path, slug: str, *args: str) -> Result:
    """An outsider's command about SLUG: refused with exactly what a missing account gets
    (exit 3, the same two lines), so it tells them nothing, not even that SLUG exists."""
    result = refused(cli, db_path, 3, *args)
    assert result.stderr.splitlines() == [
        f'error: no account "{slug}"',
        "hint: `colabctl account list` shows yours",
    ], result.stderr
    return result


@pytest.fixture
def unchanged(db_path: Path) -> Callable[[], None]:
    """Call once to snapshot; the returned checker asserts the store is byte-for-byte as it was."""
    before = dump(db_path)

    def check() -> None:
        assert dump(db_path) == before

    return check


def ctx_for(db_path: Path, actor: str | None, clock: Callable[[], datetime]) -> Context:
    return Context(db=str(db_path), actor=actor, clock=clock)


@pytest.fixture
def owner_ctx(db_path: Path, clock: FakeClock) -> Context:
    return ctx_for(db_path, OWNER, clock)


@pytest.fixture
def legal_account(cli: Cli) -> str:
    """ana owns acme-cursos, a legal entity (CNPJ), with the soporte and tecnico presets."""
    ok(cli("login", OWNER, "--name", "Ana Souza"))
    return create_legal_account(cli, "acme-cursos", "Acme Cursos", "soporte", "tecnico")


def create_legal_account(cli: Cli, slug: str, name: str, *presets: str) -> str:
    """The logged-in user creates SLUG, a Brazilian legal entity, with a profile per preset."""
    ok(cli("account", "create", slug, "--name", name, "--tax-id", CNPJ, "--country", "BR"))
    for preset in presets:
        ok(cli("profile", "create", preset, "--preset", preset, "-a", slug))
    return slug
