"""Control characters made visible (docs/commands.md, "Output"): text people typed, as
stored, reaches the terminal with every character that would act on it shown as an
escape (`\\x1b`, `\\x00`, ...), on a terminal and in pipes, in tables, messages and
`error:` lines alike. JSON keeps the value as stored.

colabctl refuses such text where it is typed; these names get into the store behind its
back (a hand edit, an old store), as a hostile user would put them there."""

from __future__ import annotations

import json

import pytest
from support import ACME, BEA, OWNER, Cli, failure, ok, raw

from colabctl.cli import output
from colabctl.store.engine import Target

pytestmark = pytest.mark.engines("sqlite", "postgres")

# red text, a window title (OSC 0 ... BEL), a control (SOH), an 8-bit CSI, a right-to-left
# override (a NUL too, where the engine can store one: PostgreSQL's text cannot)
HOSTILE = "Acme \x1b[31mRED\x1b[0m \x1b]0;pwned\x07 soh\x01 csi\x9b2J rlo\u202eevil"
ACTING = ("\x1b", "\x07", "\x01", "\x00", "\x9b", "\u202e")


@pytest.fixture
def hostile(cli: Cli, legal_account: str, db_path: Target) -> str:
    """acme-cursos' name and its owner's display name hold control characters; bea is an
    active collaborator (soporte), whose description holds some too."""
    ok(cli("--as", OWNER, "invite", BEA, "--profile", "soporte", "-a", ACME))
    ok(cli("--as", BEA, "login", BEA))
    ok(cli("--as", BEA, "accept", ACME))
    raw(
        db_path,
        ("UPDATE accounts SET name = ? WHERE slug = ?", (HOSTILE, ACME)),
        ("UPDATE users SET name = ? WHERE email = ?", (HOSTILE, OWNER)),
        ("UPDATE profiles SET description = ? WHERE name = 'soporte'", (HOSTILE,)),
    )
    return ACME


def assert_visible(text: str) -> None:
    assert not any(char in text for char in ACTING), ascii(text)
    assert "\\x1b[31mRED" in text and "\\x07" in text and "\\x01" in text
    assert "\\x9b" in text and "\\u202e" in text


@pytest.mark.parametrize(
    "args",
    [
        ["account", "list"],
        ["account", "show", ACME],
        ["whoami"],
        ["--as", BEA, "whoami"],
        ["profile", "list", "-a", ACME],
        ["profile", "show", "soporte", "-a", ACME],
    ],
    ids=" ".join,
)
@pytest.mark.parametrize("columns", ["160", "40"], ids=["wide", "stacked"])
def test_tables_show_control_characters_escaped(
    cli: Cli, hostile: str, args: list[str], columns: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    output.console.cache_clear()
    actor = [] if args[0] == "--as" else ["--as", OWNER]
    assert_visible(ok(cli(*actor, *args)).stdout)


@pytest.mark.parametrize(
    "args", [["account", "list", "--json"], ["account", "show", ACME, "--json"]], ids=" ".join
)
def test_json_keeps_the_value_as_stored(cli: Cli, hostile: str, args: list[str]) -> None:
    text = ok(cli("--as", OWNER, *args)).stdout
    assert not any(char in text for char in ACTING), ascii(text)  # in JSON's escapes
    found = json.loads(text)
    account = found[0] if isinstance(found, list) else found
    assert account["name"] == HOSTILE


def test_an_error_line_shows_them_escaped(cli: Cli, hostile: str, db_path: Target) -> None:
    """An error naming stored text (here the owner's address, edited to hold an escape)
    is still one printable line."""
    sneaky = "ana.souza\x1b[2J@example.com"
    raw(db_path, ("UPDATE users SET email = ? WHERE email = ?", (sneaky, OWNER)))
    result = cli("--as", BEA, "profile", "create", "xy", "--preset", "soporte", "-a", ACME)
    error, _ = failure(result, 5)  # failure() checks every line is printable
    assert "ana.souza\\x1b[2J@example.com" in error


def test_a_line_on_stdout_shows_them_escaped(cli: Cli, hostile: str) -> None:
    """whoami's first line names the stored display name."""
    first = ok(cli("--as", OWNER, "whoami")).stdout.splitlines()[0]
    assert first.startswith(f"{OWNER} (Acme \\x1b[31mRED")


@pytest.mark.engines("sqlite")
def test_a_nul_is_shown_escaped(cli: Cli, hostile: str, db_path: Target) -> None:
    raw(db_path, ("UPDATE accounts SET name = ? WHERE slug = ?", ("nul\x00here", ACME)))
    text = ok(cli("--as", OWNER, "account", "show", ACME)).stdout
    assert "\x00" not in text and "nul\\x00here" in text
