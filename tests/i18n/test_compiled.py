"""Compiled catalogs read in place (docs/i18n.md): `i18n.Compiled` looks a message up by
binary search in the .mo's table of originals, which the build writes sorted by their
bytes. For every message of both catalogs (gettext, ngettext for several counts,
pgettext) and for texts the catalogs lack, it answers exactly what the standard
library's GNUTranslations answers for the same file: the oracle. What is not in a
catalog (absent, fuzzy, untranslated), and a catalog that is missing or no .mo at all,
is English."""

from __future__ import annotations

import itertools
import shutil
import struct
from collections.abc import Callable, Iterator
from gettext import GNUTranslations, NullTranslations
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from support import edit_po, i18n_pipeline, mo_originals

from colabctl import i18n

pytestmark = pytest.mark.quick  # no process, no store: a second or two

pipeline = i18n_pipeline()
LANGS = ("es", "pt")
COUNTS = (0, 1, 2, 3, 5, 11, 21, 100, 1_000_000)
Ask = Callable[[NullTranslations], str]  # a question put to a reader of a catalog


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The catalogs compiled now, as the build compiles them (scripts/i18n.py)."""
    out = tmp_path_factory.mktemp("locale")
    pipeline.compile_catalogs(out=out)
    return out


@pytest.fixture(autouse=True)
def english_after() -> Iterator[None]:
    yield
    i18n.set_language("en")


def mo_of(locale: Path, lang: str) -> bytes:
    po: Path = pipeline.po_path(lang, locale)
    return po.with_suffix(".mo").read_bytes()


def readers(mo: bytes) -> tuple[GNUTranslations, GNUTranslations]:
    """(colabctl's reader, the standard library's) of the same .mo bytes."""
    return i18n.Compiled(BytesIO(mo)), GNUTranslations(BytesIO(mo))


def messages(lang: str) -> list[Any]:
    """Every message of LANG's .po (Babel's Message), the header aside."""
    from babel.messages.pofile import read_po

    with open(pipeline.po_path(lang), "rb") as po:
        return [message for message in read_po(po, locale=lang) if message.id]


def lookups(message: Any) -> Iterator[tuple[str, Ask]]:
    """Each way MESSAGE is asked for, as (a name, the question put to a reader)."""
    context = message.context
    if not message.pluralizable:
        if context:
            yield f"pgettext {context}", lambda t: t.pgettext(context, message.id)
        else:
            yield "gettext", lambda t: t.gettext(message.id)
        return
    singular, plural = message.id
    for n in COUNTS:
        yield f"{'np' if context else 'n'}gettext {n}", counted(context, singular, plural, n)
    # gettext on a plural message's singular: GNUTranslations gives the form for 1
    yield "gettext of a plural", lambda t: t.gettext(singular)


def counted(context: str | None, singular: str, plural: str, n: int) -> Ask:
    if context:
        return lambda t: t.npgettext(context, singular, plural, n)
    return lambda t: t.ngettext(singular, plural, n)


@pytest.mark.parametrize("lang", LANGS)
def test_every_message_is_read_as_the_standard_library_reads_it(built: Path, lang: str) -> None:
    ours, oracle = readers(mo_of(built, lang))
    translated = 0
    for message in messages(lang):
        for how, ask in lookups(message):
            assert ask(ours) == ask(oracle), (how, message.context, message.id)
            translated += ask(ours) != ask(NullTranslations())  # English
    # the comparison above is between translations, not between two Englishes
    assert translated > 1000


@pytest.mark.parametrize("lang", LANGS)
def test_the_catalog_of_a_run_is_read_in_place(built: Path, lang: str, monkeypatch: Any) -> None:
    """set_language loads colabctl's reader; `_`, ngettext, pgettext, Text and Word give
    the oracle's answers through it."""
    mo = mo_of(built, lang)
    oracle = GNUTranslations(BytesIO(mo))
    monkeypatch.setattr(i18n, "LOCALE_DIR", str(built))
    i18n.set_language(lang)
    assert isinstance(i18n._catalog, i18n.Compiled)
    for message in messages(lang):
        if message.pluralizable:
            singular, plural = message.id
            for n in COUNTS:
                assert i18n.ngettext(singular, plural, n) == oracle.ngettext(singular, plural, n)
        elif message.context:
            expected = oracle.pgettext(message.context, message.id)
            assert i18n.pgettext(message.context, message.id) == expected
            assert i18n.Word(message.context, message.id).translated() == expected
        else:
            assert i18n._(message.id) == oracle.gettext(message.id)
            assert i18n.Text(message.id).translated() == oracle.gettext(message.id)


# Texts the catalogs lack, or hold only in another shape: each reader says the same.
ABSENT: list[tuple[str, Ask]] = [
    ("absent", lambda t: t.gettext("A message no catalog holds.")),
    ("empty: the header", lambda t: t.gettext("")),
    ("a prefix of a message", lambda t: t.gettext("Examples")),
    ("a message and more", lambda t: t.gettext("Examples: ")),
    ("beyond the last", lambda t: t.gettext("\U0010ffff")),
    ("a NUL inside", lambda t: t.gettext("Examples:\0Examples:")),
    ("not encodable", lambda t: t.gettext("\udc80")),
    ("held only with a context", lambda t: t.gettext("access until")),
    ("a context it is not held in", lambda t: t.pgettext("offer", "active")),
    ("an unknown context", lambda t: t.pgettext("nowhere", "active")),
    ("a context, no message", lambda t: t.pgettext("column", "")),
    ("a plural asked as a plural", lambda t: t.ngettext("Examples:", "Examples:", 2)),
    ("an absent plural, one", lambda t: t.ngettext("%(n)d thing", "%(n)d things", 1)),
    ("an absent plural, many", lambda t: t.ngettext("%(n)d thing", "%(n)d things", 7)),
    ("an absent npgettext", lambda t: t.npgettext("column", "%(n)d thing", "%(n)d things", 2)),
]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("case", "ask"), ABSENT, ids=[case for case, _ in ABSENT])
def test_what_a_catalog_lacks_is_answered_as_the_standard_library_answers(
    built: Path, lang: str, case: str, ask: Ask
) -> None:
    ours, oracle = readers(mo_of(built, lang))
    assert ask(ours) == ask(oracle)


def test_what_a_catalog_lacks_is_english(built: Path) -> None:
    ours, _ = readers(mo_of(built, "es"))
    assert ours.gettext("A message no catalog holds.") == "A message no catalog holds."
    assert ours.ngettext("%(n)d thing", "%(n)d things", 1) == "%(n)d thing"
    assert ours.ngettext("%(n)d thing", "%(n)d things", 0) == "%(n)d things"
    assert ours.pgettext("nowhere", "active") == "active"
    assert ours.gettext("yes") == "sí"
    assert i18n._("") == ""  # never gettext's header


def test_a_fuzzy_or_untranslated_message_is_english(tmp_path: Path) -> None:
    """Left out of the .mo by the build (Babel leaves fuzzy ones out): English, as
    GNUTranslations gives it; the messages around them stay translated."""
    locale = tmp_path / "locale"
    shutil.copytree(pipeline.LOCALE, locale, ignore=shutil.ignore_patterns("*.mo"))
    edit_po(pipeline.po_path("es", locale), "Examples:", fuzzy=True)
    edit_po(pipeline.po_path("es", locale), "yes", string="")
    pipeline.compile_catalogs(locale=locale)
    ours, oracle = readers(mo_of(locale, "es"))
    for reader in (ours, oracle):
        assert reader.gettext("Examples:") == "Examples:"
        assert reader.gettext("yes") == "yes"
        assert reader.gettext("no") == "no"  # the neighbour of "yes": still translated


BROKEN = {
    "missing": None,  # a checkout never compiled: English, as it always was
    "empty": b"",
    "cut inside its header": b"\xde\x12\x04\x95\0\0\0\0\x05",
    "not a .mo": b'msgid "yes"\nmsgstr "s\xc3\xad"\n' * 4,
}


@pytest.mark.parametrize("content", BROKEN.values(), ids=BROKEN.keys())
def test_a_missing_or_broken_catalog_is_english(
    tmp_path: Path, monkeypatch: Any, content: bytes | None
) -> None:
    mo = pipeline.po_path("es", tmp_path).with_suffix(".mo")
    if content is not None:
        mo.parent.mkdir(parents=True)
        mo.write_bytes(content)
    monkeypatch.setattr(i18n, "LOCALE_DIR", str(tmp_path))
    i18n.set_language("es")
    assert i18n.language() == "es"
    assert i18n._("yes") == "yes"
    assert i18n.ngettext("%(n)d thing", "%(n)d things", 2) == "%(n)d things"
    assert i18n.pgettext("column", "active") == "active"


def other_byte_order(mo: bytes) -> bytes:
    """MO with its numbers (header and both tables) in the other byte order."""
    order, other = ("<", ">") if mo[:4] == b"\xde\x12\x04\x95" else (">", "<")
    count, originals, translations = struct.unpack_from(f"{order}3I", mo, 8)
    out = bytearray(mo)
    for at, words in ((0, 7), (originals, 2 * count), (translations, 2 * count)):
        numbers = struct.unpack_from(f"{order}{words}I", mo, at)
        struct.pack_into(f"{other}{words}I", out, at, *numbers)
    return bytes(out)


def test_a_catalog_in_the_other_byte_order_is_read_by_the_standard_library(built: Path) -> None:
    mo = other_byte_order(mo_of(built, "pt"))
    assert mo[:4] != mo_of(built, "pt")[:4]
    ours, oracle = readers(mo)
    assert ours.gettext("yes") == oracle.gettext("yes") == "sim"
    for message in messages("pt"):
        for how, ask in lookups(message):
            assert ask(ours) == ask(oracle), (how, message.id)


# -- the build writes the tables sorted -----------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_the_build_sorts_the_originals_by_their_bytes(built: Path, lang: str) -> None:
    originals = mo_originals(mo_of(built, lang))
    assert originals[0] == b""  # the header first
    assert all(a < b for a, b in itertools.pairwise(originals))
    assert any(b"\x04" in original for original in originals)  # contexts among them


@pytest.mark.parametrize("lang", LANGS)
def test_sorting_the_tables_changes_no_translation(lang: str) -> None:
    """Babel writes messages with a context out of byte order; sorted_tables moves them
    and keeps every pair as it was."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with open(pipeline.po_path(lang), "rb") as po:
        catalog = read_po(po, locale=lang)
    babel = BytesIO()
    write_mo(babel, catalog)
    originals = mo_originals(babel.getvalue())
    assert originals != sorted(originals)  # Babel's order: why the build sorts
    resorted = pipeline.sorted_tables(babel.getvalue())
    assert mo_originals(resorted) == sorted(originals)
    before, after = (GNUTranslations(BytesIO(mo)) for mo in (babel.getvalue(), resorted))
    assert after._catalog == before._catalog  # type: ignore[attr-defined]
