"""Nothing is left in English in es and pt (docs/i18n.md): every command's --help, usage
errors, the errors of each kind, and the text hidden in plain sight (progress bars,
prompts, plan text, report headings).

English is told by its words: a line is English when, once ids, emails, options, paths,
placeholders' values and code are taken out, it holds a word of `ENGLISH`, common English
words that are neither Spanish nor Portuguese. The last tests show the check fails on a
message left untranslated."""

from __future__ import annotations

import re
from collections.abc import Iterator
from gettext import GNUTranslations
from pathlib import Path
from typing import Any

import pytest
from support import ACME, BOB, OWNER, Cli, ok

from colabctl import i18n

LANGS = ("es", "pt")

# Common English words that are not Spanish or Portuguese words (nor parts of the ids,
# option names and catalog keys that stay as they are).
_WORDS = """
    the and of to is are was were be been with this that these those not you your
    have had which what who whom when where why how from into onto than then there
    their they them its it's it we our us he she his her can't cannot don't doesn't won't
    does did done will would should could must may might shall all any each every both
    some many more most other another such only also just yet still even already again
    one two three first last next new old same own here now never always often
    show shows print prints write writes read reads give gives take makes make made
    get gets set sets run runs use used uses using add adds removes delete deletes
    create creates created change changes changed check checks keep keeps kept
    help usage option options command commands argument arguments missing such invalid
    value values aborted try found exit exits file files folder store account
    accounts profile profiles permission permissions user users owner owners people
    person collaborator collaborators invitation invitations invite invited pending
    active expired declined revoked ended holds hold held grant grants granted without
    within about above below after before until since between through while whose
    yes nobody nothing none everyone everything anyone something someone
    report review finding findings acknowledged apply applied team tax entity
    name names title description category risk high medium low status role access
    chain head log audit rows row table tables column columns version language
"""
ENGLISH = frozenset(_WORDS.split())

_EMAIL = re.compile(r"\S+@\S+")
_URL = re.compile(r"\w+://\S+")
_CODE = re.compile(r"`[^`]*`|'[^']*'|\"[^\"]*\"|\{[^{}]*\}|\[[a-z]+\]|<[^<>]*>")
_OPTION = re.compile(r"(?<![\w-])--?[A-Za-z][\w-]*(=\S*)?")
_ID = re.compile(
    r"\b[\w-]*[._/:$][\w./:$-]*|\b\w+-\w[\w-]*\b|\b\w+_\w+\b"
)  # ids, slugs, paths, $VARS
_PLACEHOLDER = re.compile(r"\b[A-Z][A-Z_]{1,}\b")  # EMAIL, SLUG, FILE, PERMISSION...
_HEX = re.compile(r"\b[0-9a-f]{12,}\b")  # an apply id, a hash: `be` in eabb65bf22c9be7f is no word
_COMMAND = re.compile(r"colabctl(?: [a-z][a-z-]*)*")  # a command's path (usage lines)
_FIRST_COLUMN = re.compile(r"^\*?\s*[a-z][\w-]*\s{2,}")  # a command or argument's name
_BOX = re.compile(r"[│╭╮╰╯─┃┏┓┗┛━┡┩┢┪╇╈╿╽┠┨┼┬┴├┤┌┐└┘]")


def english_words(line: str) -> list[str]:
    """The English words of LINE once ids, emails, options, code and names are out."""
    text = _BOX.sub(" ", line).strip()
    if text.startswith(("colabctl ", "$ colabctl", "export COLABCTL")):
        return []  # a command line (an example), code
    text = _FIRST_COLUMN.sub(" ", text)
    for pattern in (_URL, _EMAIL, _CODE, _COMMAND, _OPTION, _ID, _PLACEHOLDER, _HEX):
        text = pattern.sub(" ", text)
    return [w for w in re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", text) if w.lower() in ENGLISH]


def left_in_english(*outputs: str, allow: tuple[str, ...] = ()) -> list[str]:
    """The lines of OUTPUTS that read as English (ALLOW: words the case may say, such as
    a name typed on the command line)."""
    found = []
    for output in outputs:
        for line in output.splitlines():
            words = [w for w in english_words(line) if w.lower() not in allow]
            if words:
                found.append(f"{line.strip()}   <- {', '.join(words)}")
    return found


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))


def every_command() -> list[tuple[str, ...]]:
    import typer

    from colabctl.cli import app

    return sorted(_commands(typer.main.get_command(app)))


# -- help ------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_every_commands_help_is_translated(cli: Cli, lang: str) -> None:
    leaks = []
    for path in every_command():
        result = ok(cli(*path, "--help", "--lang", lang))
        leaks += [
            f"{' '.join(path) or '(root)'}: {line}" for line in left_in_english(result.stdout)
        ]
    assert not leaks, "\n".join(leaks)


@pytest.mark.parametrize("lang", LANGS)
def test_help_exit_codes_is_translated_and_json_stays_english(cli: Cli, lang: str) -> None:
    import json

    from colabctl.errors import ExitCode

    names = tuple(code.name.lower() for code in ExitCode)  # ids, as in JSON
    shown = ok(cli("help", "exit-codes", "--lang", lang)).stdout
    assert not left_in_english(shown, allow=names)
    meanings = json.loads(ok(cli("help", "exit-codes", "--json", "--lang", lang)).stdout)
    english = json.loads(ok(cli("help", "exit-codes", "--json", "--lang", "en")).stdout)
    assert meanings == english  # JSON is the same bytes in every language


# -- errors -----------------------------------------------------------------------------------

USAGE_ERRORS = [
    ("collaborator", "list", "--bogus"),
    ("collaborator", "lst"),
    ("collaborator", "list", "--statu", "active"),
    ("invite",),
    ("can",),
    ("who-can", "products.view", "-a", ACME, "--all-accounts"),
    ("audit", "log", "--limit", "many"),
    ("review", "--fail-on", "extreme"),
    ("invite", BOB, "--profile"),
    ("login", OWNER, "extra"),
    ("plan",),
    ("collaborator",),
]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("args", USAGE_ERRORS, ids=" ".join)
def test_usage_errors_are_translated(cli: Cli, lang: str, args: tuple[str, ...]) -> None:
    result = cli(*args, "--lang", lang)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert not left_in_english(result.stdout, result.stderr)


# Errors said by core and the store (not found, forbidden, invalid input, store errors):
# their messages are marked and translated with core's (docs/i18n.md); until then these
# are expected to fail, and strict, so the day they pass the marker has to go.
CORE_ERRORS = [
    pytest.param(("account", "show", "nope"), 3, id="not found"),
    pytest.param(("--as", BOB, "profile", "delete", "soporte", "-a", ACME), 3, id="forbidden"),
    pytest.param(("login", "not-an-email"), 6, id="invalid input"),
]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("args", "code"), CORE_ERRORS)
def test_core_errors_are_translated(
    cli: Cli, legal_account: str, lang: str, args: tuple[str, ...], code: int
) -> None:
    result = cli(*args, "--lang", lang)
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert not left_in_english(result.stderr)


@pytest.mark.parametrize("lang", LANGS)
def test_a_store_error_is_translated(cli: Cli, tmp_path: Path, lang: str) -> None:
    """The store is a folder (exit 7)."""
    result = cli("--db", str(tmp_path), "--as", OWNER, "account", "list", "--lang", lang)
    assert result.exit_code == 7, result.stderr
    assert result.stderr.startswith("error: ")
    assert not left_in_english(result.stderr, allow=("permission",))


# -- hidden in plain sight --------------------------------------------------------------------

TEAM = """version = 1
[accounts.acme-cursos]
name = "Acme Cursos"
owner = "ana.souza@example.com"
tax_id = { country = "BR", number = "11.222.333/0001-81" }
[accounts.acme-cursos.profiles.soporte]
permissions = ["purchases.search", "purchases.request_refunds"]
[accounts.acme-cursos.collaborators]
"bob.costa@example.com" = "soporte"
"""


def _plans_own(text: str) -> list[str]:
    """The plan's lines as the cli words them: the notes and the findings' messages are
    core's texts (checked with core's messages), so they are left out."""
    lines, in_notes = [], False
    for line in text.splitlines():
        if in_notes and line.startswith(" "):
            continue
        in_notes = line.rstrip().endswith(":") and not line.startswith(" ")
        found = re.search(r"\b[0-9a-f]{12}: ", line)
        lines.append(line[: found.start()] if found else line)
    return lines


@pytest.mark.parametrize("lang", LANGS)
def test_plan_text_and_the_apply_prompt_are_translated(
    cli: Cli, legal_account: str, tmp_path: Path, lang: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from colabctl.cli import team as cli_team

    team = tmp_path / "team.toml"
    team.write_text(TEAM, encoding="utf-8")
    plan = ok(cli("--as", OWNER, "plan", "-f", str(team), "--lang", lang))
    assert "+" in plan.stdout and not left_in_english(*_plans_own(plan.stdout)), plan.stdout
    monkeypatch.setattr(cli_team, "_interactive", lambda: True)
    asked = ok(cli("--as", OWNER, "apply", "-f", str(team), "--lang", lang, input="n\n"))
    assert "[s/N]" in asked.stderr
    assert not left_in_english(*_plans_own(asked.stdout), asked.stderr)
    yes = {"es": "sí", "pt": "sim"}[lang]
    done = ok(cli("--as", OWNER, "apply", "-f", str(team), "--lang", lang, input=f"{yes}\n"))
    assert not left_in_english(done.stderr), done.stderr
    listed = ok(cli("--as", OWNER, "collaborator", "list", "-a", ACME, "--lang", lang))
    assert BOB in listed.stdout


@pytest.mark.parametrize("lang", LANGS)
def test_the_progress_bar_is_translated(
    cli: Cli,
    legal_account: str,
    db_path: Path,
    tmp_path: Path,
    lang: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The bar's description, as handed to rich (which draws only on a real terminal)."""
    from rich.progress import Progress

    from colabctl.cli import output

    described: list[str] = []
    add_task = Progress.add_task

    def recorded(self: Progress, description: str, *args: Any, **kw: Any) -> Any:
        described.append(description)
        return add_task(self, description, *args, **kw)

    monkeypatch.setattr(output, "_stderr_is_terminal", lambda: True)
    monkeypatch.setattr(Progress, "add_task", recorded)
    ok(cli("store", "copy", str(db_path), str(tmp_path / "copy.db"), "--lang", lang))
    assert described == ["copiando"]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("fmt", ["md", "html"])
def test_report_headings_are_translated(
    cli: Cli, legal_account: str, tmp_path: Path, lang: str, fmt: str
) -> None:
    """Headings, captions, column headers and legends (the rows' findings and changes are
    core's texts, checked with core's messages)."""
    out = tmp_path / f"report.{fmt}"
    ok(cli("--as", OWNER, "report", "-a", ACME, "-o", str(out), "--lang", lang))
    text = out.read_text(encoding="utf-8")
    if fmt == "html":
        assert f'<html lang="{lang}">' in text
        parts = re.findall(r"<(h[1-6]|caption|th|p|title)\b[^>]*>(.*?)</\1>", text, flags=re.DOTALL)
        headings = [re.sub(r"<[^>]+>", " ", inner) for _, inner in parts]
    else:
        lines = text.splitlines()
        headings = [line for line in lines if line.startswith("#")]
        headings += [lines[i - 1] for i, line in enumerate(lines) if line.startswith("|---")]
        headings += [line for line in lines if line and not line.startswith(("|", "#"))]
    assert len(headings) > 10
    assert not left_in_english(*headings)


# -- the check fails when a message is left in English ------------------------------------------


def test_the_check_finds_english_words_and_spares_code() -> None:
    assert english_words("Print one JSON document.") == ["Print", "one"]
    assert english_words("│ --json   Imprimir un documento JSON.  │") == []
    assert english_words("  colabctl can bob.costa@example.com products.view --json") == []
    assert english_words('error: no existe la cuenta "nope"') == []
    assert english_words("hint: run `colabctl login EMAIL`, or pass --as EMAIL") == ["run"]
    assert english_words("aplicado (id de aplicación eabb65bf22c9be7f)") == []  # a hex id
    assert english_words("be the one") == ["be", "the", "one"]


def test_a_message_left_untranslated_is_caught(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Spanish catalog without one translation: that help line comes out English,
    and the check says so."""
    real = i18n._load

    class Missing(GNUTranslations):
        def gettext(self, message: str) -> str:
            if message == "Print one JSON document.":
                return message
            return super().gettext(message)

    def load(code: str) -> GNUTranslations | None:
        found = real(code)
        if found is None:
            return None
        found.__class__ = Missing
        return found

    monkeypatch.setattr(i18n, "_load", load)
    result = ok(cli("account", "list", "--help", "--lang", "es"))
    leaks = left_in_english(result.stdout)
    assert any("Print one JSON document." in leak for leak in leaks), result.stdout
