"""Choosing the language (docs/i18n.md): --lang anywhere after `colabctl`, else
$COLABCTL_LANG, else the locale (LANGUAGE, LC_ALL, LC_MESSAGES, LANG), else en; an
unknown --lang or $COLABCTL_LANG is a usage error (2) in one `error:` line."""

from __future__ import annotations

import pytest
from support import Cli

from colabctl import i18n

NO_LOCALE = {"LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "", "COLABCTL_LANG": ""}


@pytest.mark.parametrize(
    ("explicit", "environ", "chosen"),
    [
        ("es", {}, "es"),
        ("pt-BR", {}, "pt"),
        ("pt_BR", {"COLABCTL_LANG": "es"}, "pt"),
        ("ES", {}, "es"),
        ("en-US", {"LANG": "pt_BR.UTF-8"}, "en"),
        (None, {"COLABCTL_LANG": "pt_BR.UTF-8", "LANG": "es_MX"}, "pt"),
        (None, {"COLABCTL_LANG": " ", "LANG": "es_MX"}, "es"),
        (None, {"LANG": "pt_BR.UTF-8"}, "pt"),
        (None, {"LANG": "es_MX"}, "es"),
        (None, {"LANG": "fr_FR.UTF-8"}, "en"),
        (None, {"LANG": "C.UTF-8"}, "en"),
        (None, {"LC_MESSAGES": "es_ES", "LANG": "pt_BR"}, "es"),
        (None, {"LC_ALL": "pt_PT", "LC_MESSAGES": "es_ES"}, "pt"),
        (None, {"LANGUAGE": "fr:pt_BR:es", "LANG": "es_MX"}, "pt"),
        (None, {"LANGUAGE": "es", "LC_ALL": "C"}, "es"),
        (None, {"LANGUAGE": "fr:de", "LANG": "es_MX"}, "es"),
        (None, {"LANG": "es_ES@euro"}, "es"),
        (None, {"LANG": "pt_PT.UTF-8"}, "pt"),
        (None, {"LANG": "POSIX"}, "en"),
        (None, {"LANG": "C"}, "en"),
        (None, {}, "en"),
    ],
)
def test_the_language_chosen(explicit: str | None, environ: dict[str, str], chosen: str) -> None:
    assert i18n.choose(explicit, environ) == chosen


@pytest.mark.parametrize("value", ["fr", "xx", "spanish", "-", "e"])
def test_an_unknown_language_is_refused(value: str) -> None:
    with pytest.raises(i18n.UnknownLanguage):
        i18n.choose(value, {})
    with pytest.raises(i18n.UnknownLanguage):
        i18n.choose(None, {"COLABCTL_LANG": value})


@pytest.mark.parametrize(
    "args",
    [
        ["--lang", "xx", "whoami"],
        ["whoami", "--lang", "xx"],
        ["collaborator", "--lang=xx", "list"],
        ["--lang", "xx", "--help"],
    ],
)
def test_an_unknown_lang_option_exits_2_in_one_line(cli: Cli, args: list[str]) -> None:
    result = cli(*args, env=NO_LOCALE)
    assert result.exit_code == 2
    assert result.stderr == 'error: unknown language "xx" (es, pt, en)\n'
    assert result.stdout == ""


def test_a_huge_hostile_language_is_echoed_short_and_on_one_line(cli: Cli) -> None:
    hostile = "x\n\u202e" + "y" * 10_000
    result = cli("permissions", "--lang", hostile, env=NO_LOCALE)
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith('error: unknown language "x\\n\\u202eyyy') and len(line) < 200, line
    assert line.endswith("(10003 characters) (es, pt, en)")


def test_an_unknown_colabctl_lang_exits_2_for_every_command(cli: Cli) -> None:
    for args in (["can", "a@example.com", "purchases.search"], ["--version"], ["--help"]):
        result = cli(*args, env={**NO_LOCALE, "COLABCTL_LANG": "klingon"})
        assert result.exit_code == 2, args
        assert result.stderr == 'error: unknown language "klingon" (es, pt, en)\n'


def test_lang_is_accepted_after_any_command_and_group(cli: Cli) -> None:
    for args in (
        ["--lang", "es", "help", "exit-codes", "--json"],
        ["help", "--lang", "pt", "exit-codes", "--json"],
        ["help", "exit-codes", "--json", "--lang", "en"],
        ["help", "exit-codes", "--lang=pt-BR", "--json"],
    ):
        result = cli(*args)
        assert result.exit_code == 0, (args, result.stderr)


def test_help_lists_lang_on_the_root_and_on_leaf_commands(cli: Cli) -> None:
    assert "--lang" in cli("--help").stdout
    assert "--lang" in cli("collaborator", "list", "--help").stdout
    assert "--lang" not in cli("collaborator", "--help").stdout  # each of its commands has it


def test_text_is_english_as_a_str_and_translated_when_shown() -> None:
    text = i18n.Text("no account %(slug)s", slug='"acme"')
    assert text == 'no account "acme"'
    assert text.translated() == 'no account "acme"'  # en
    assert i18n.shown(text) == 'no account "acme"'
    import json

    assert json.dumps({"message": text}) == '{"message": "no account \\"acme\\""}'


def test_ngettext_in_english_without_a_catalog() -> None:
    i18n.set_language("en")
    assert i18n.ngettext("%(n)d person", "%(n)d people", 1) == "%(n)d person"
    assert i18n.ngettext("%(n)d person", "%(n)d people", 0) == "%(n)d people"
