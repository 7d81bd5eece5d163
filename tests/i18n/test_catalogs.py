"""The catalogs are whole (docs/i18n.md): every message of the source is in the es and pt
.po files, translated, not fuzzy, with the source's placeholders, and what the running
colabctl reads is what those .po files compile to. scripts/i18n.py does the checking;
these tests run it, and show that it catches each fault."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import ROOT, edit_po, i18n_pipeline

from colabctl import i18n

pipeline = i18n_pipeline()


@pytest.fixture(scope="module")
def template() -> object:
    return pipeline.extract()


def test_every_message_is_translated_in_es_and_pt(template: object) -> None:
    found = pipeline.problems(template)
    assert not found, "\n".join(
        [*found[:40], f"({len(found)} in all: python scripts/i18n.py update, then translate)"]
    )


def test_the_running_colabctl_reads_the_catalogs_as_they_are_now() -> None:
    assert pipeline.stale_compiled(Path(i18n.LOCALE_DIR)) == [], "python scripts/i18n.py compile"


# -- the check catches each fault ---------------------------------------------------------


@pytest.fixture
def copied(tmp_path: Path) -> Path:
    """A copy of the catalogs to break."""
    shutil.copytree(pipeline.LOCALE, tmp_path / "locale", ignore=shutil.ignore_patterns("*.mo"))
    return tmp_path / "locale"


def _edit(locale: Path, lang: str, msgid: str, **change: object) -> None:
    edit_po(pipeline.po_path(lang, locale), msgid, **change)


def test_the_check_fails_on_an_untranslated_message(template: object, copied: Path) -> None:
    _edit(copied, "pt", "Examples:", string="")
    assert "pt: untranslated: 'Examples:'" in pipeline.problems(template, copied)


def test_the_check_fails_on_a_fuzzy_message(template: object, copied: Path) -> None:
    _edit(copied, "es", "Examples:", fuzzy=True)
    assert "es: fuzzy: 'Examples:'" in pipeline.problems(template, copied)


def test_the_check_fails_on_placeholders_that_differ(template: object, copied: Path) -> None:
    msgid = "unknown language %(value)s (es, pt, en)"
    _edit(copied, "es", msgid, string="idioma desconocido %(valor)s (es, pt, en)")
    found = pipeline.problems(template, copied)
    assert any(line.startswith("es: placeholders ") and msgid in line for line in found), found


def test_the_check_fails_on_a_catalog_behind_the_source(template: object, copied: Path) -> None:
    from babel.messages.pofile import read_po, write_po

    path = pipeline.po_path("es", copied)
    with open(path, "rb") as po:
        catalog = read_po(po, locale="es")
    del catalog["Examples:"]
    catalog.add("A message the source no longer has.", "Un mensaje que ya no está.")
    with open(path, "wb") as po:
        write_po(po, catalog)
    found = pipeline.problems(template, copied)
    assert "es: not in the catalog (run update): 'Examples:'" in found
    assert (
        "es: no longer in the source (run update): 'A message the source no longer has.'" in found
    )


def test_placeholders_are_named_percent_and_typers_braces() -> None:
    assert pipeline.placeholders("no account %(slug)s; %(count)d left") == [
        "%(count)d",
        "%(slug)s",
    ]
    assert pipeline.placeholders("Try '{command_path} {help_option}' for help.") == [
        "{command_path}",
        "{help_option}",
    ]
    assert pipeline.placeholders("50% of it") == []


def test_command_docstrings_and_help_texts_are_extracted(template: object) -> None:
    ids = {m.id for m in template}  # type: ignore[attr-defined]
    assert "The permission catalog." in ids  # a command's docstring
    assert "Print one JSON document." in ids  # a help= text
    assert "Show this message and exit." in ids  # Typer's own, marked in cli/localized.py


def _headers_shown() -> set[str]:
    """Every column header a command's table names: the string columns of each
    `output.rows(TITLE, [COLUMNS], ...)` call in cli/ (a name, or a (name, kind) pair)."""
    import ast

    found: set[str] = set()
    for path in (ROOT / "src" / "colabctl" / "cli").glob("*.py"):
        for call in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(call, ast.Call) and ast.unparse(call.func) == "output.rows"):
                continue
            columns = call.args[1]
            assert isinstance(columns, ast.List), f"{path.name}: columns given as a list"
            for column in columns.elts:
                first = column.elts[0] if isinstance(column, ast.Tuple) else column
                assert isinstance(first, ast.Constant), f"{path.name}: {ast.unparse(column)}"
                assert isinstance(first.value, str), f"{path.name}: {ast.unparse(column)}"
                found.add(first.value)
    return found


def test_every_column_header_is_marked_and_translated() -> None:
    """A header is shown through pgettext("column", ...): it must be marked in
    output.HEADERS, or the catalogs never get it and es and pt show English."""
    from babel.messages.pofile import read_po

    from colabctl.cli.output import HEADERS

    shown = _headers_shown()
    assert len(shown) > 30  # the scan reads the tables, not nothing
    assert shown - set(HEADERS) == set()
    locale = ROOT / "src" / "colabctl" / "locale"  # the .po files (the wheel has only .mo)
    for lang in ("es", "pt"):
        with (locale / lang / "LC_MESSAGES" / "colabctl.po").open("rb") as po:
            catalog = read_po(po)
        untranslated = {h for h in HEADERS if not catalog.get(h, context="column")}
        assert untranslated == set(), lang
