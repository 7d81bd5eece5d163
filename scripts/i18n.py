"""The translation pipeline (docs/i18n.md), on Babel:

    python scripts/i18n.py extract   # the source's messages -> src/colabctl/locale/colabctl.pot
    python scripts/i18n.py update    # extract, then merge into the es and pt .po files
    python scripts/i18n.py compile   # .po -> .mo beside them (gitignored; a wheel builds its own)
    python scripts/i18n.py check     # fails on an untranslated, fuzzy or placeholder-mismatched
                                     # message, or a catalog out of date with the source

What is extracted (babel.cfg): `_()`, `N_()`, `ngettext()`, `Text()` and `Plural()` calls in the
Python source, the report's templates, and, by `extract_python` here, what Typer shows
without a call of ours: command docstrings (as cli/common.help_text makes them help) and
every `help=` text. hatch_build.py compiles the .mo files with `compile_catalogs`.
"""

from __future__ import annotations

import ast
import inspect
import io
import re
import struct
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "src" / "colabctl" / "locale"
TEMPLATE = LOCALE / "colabctl.pot"
LANGUAGES = ("es", "pt")
KEYWORDS = {
    "_": None,
    "N_": None,
    "ngettext": (1, 2),
    "Text": None,
    "Plural": (1, 2),
    "pgettext": ((1, "c"), 2),
    "NC_": ((1, "c"), 2),
}
# gettext's own plural rules for the two (not CLDR's, whose Spanish adds a third form for
# round millions): Spanish "1 perfil, 0 perfiles", Brazilian Portuguese "0 perfil".
PLURALS = {"es": "nplurals=2; plural=(n != 1);", "pt": "nplurals=2; plural=(n > 1);"}
HEADER = """\
# colabctl's messages in %(lang)s: docs/i18n.md says how to translate them, and
# docs/glossary.md which words to use. scripts/i18n.py update merges new ones in.
msgid ""
msgstr ""
"Project-Id-Version: colabctl\\n"
"Language: %(lang)s\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=utf-8\\n"
"Content-Transfer-Encoding: 8bit\\n"
"Plural-Forms: %(plural)s\\n"
"""


def po_path(lang: str, locale: Path = LOCALE) -> Path:
    return locale / lang / "LC_MESSAGES" / "colabctl.po"


# -- the extractor for Python files ------------------------------------------------------


def extract_python(fileobj: Any, keywords: Any, comment_tags: Any, options: Any) -> Iterator[Any]:
    """Babel's own extraction of the calls, plus command docstrings and `help=` texts."""
    from babel.messages.extract import extract_python as calls

    source = fileobj.read()
    yield from calls(io.BytesIO(source), keywords, comment_tags, options)
    tree = ast.parse(source.decode("utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and _is_command(node):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                yield node.lineno, "", help_text(doc), []
        elif isinstance(node, ast.Call):
            for keyword in node.keywords:
                value = keyword.value
                if (
                    keyword.arg == "help"
                    and isinstance(value, ast.Constant)
                    and isinstance(value.value, str)
                    and value.value.strip()
                ):
                    yield value.lineno, "", inspect.cleandoc(value.value), []


def _is_command(node: ast.FunctionDef) -> bool:
    """Registered with cli/common.command() or as a Typer callback: its docstring is help."""
    for decorator in node.decorator_list:
        func = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(func, ast.Name) and func.id == "command":
            return True
        if isinstance(func, ast.Attribute) and func.attr in ("callback", "command"):
            return True
    return False


def help_text(doc: str) -> str:
    """What cli/common.help_text makes of a docstring: each paragraph on one line."""
    paragraphs = inspect.cleandoc(doc).split("\n\n")
    return "\n\n".join(" ".join(paragraph.split()) for paragraph in paragraphs)


# -- extract, update, compile --------------------------------------------------------------


def extract() -> Any:
    """The catalog of every message in the source (Babel's Catalog)."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with open(ROOT / "babel.cfg", encoding="utf-8") as mapping:
        method_map, options_map = parse_mapping_cfg(mapping)  # type: ignore[no-untyped-call]
    methods = {"python": extract_python, "jinja2": "jinja2.ext:babel_extract"}
    method_map = [(pattern, methods.get(method, method)) for pattern, method in method_map]
    catalog = Catalog(project="colabctl", charset="utf-8", fuzzy=False)
    found = extract_from_dir(ROOT / "src", method_map, options_map, keywords=KEYWORDS)
    for filename, lineno, message, comments, context in found:
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def write_template() -> Any:
    from babel.messages.pofile import write_po

    template = extract()
    TEMPLATE.parent.mkdir(parents=True, exist_ok=True)
    with open(TEMPLATE, "wb") as out:
        write_po(out, template, width=88, include_lineno=False, sort_output=True)
    return template


def update() -> None:
    """Merge the source's messages into each .po: new ones untranslated, changed ones
    fuzzy (with their old translation to start from), removed ones dropped."""
    from babel.messages.pofile import read_po, write_po

    template = write_template()
    for lang in LANGUAGES:
        path = po_path(lang)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(HEADER % {"lang": lang, "plural": PLURALS[lang]}, encoding="utf-8")
        with open(path, "rb") as found:
            catalog = read_po(found, locale=lang)
        catalog.update(template, update_creation_date=False)
        with open(path, "wb") as out:
            write_po(
                out, catalog, width=88, include_lineno=False, sort_output=True, ignore_obsolete=True
            )


def compile_catalogs(locale: Path = LOCALE, out: Path | None = None) -> list[Path]:
    """Each language's .po compiled to its .mo (under OUT, else beside the .po), its
    table of originals sorted (`sorted_tables`)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for lang in LANGUAGES:
        with open(po_path(lang, locale), "rb") as found:
            catalog = read_po(found, locale=lang)
        target = po_path(lang, out or locale).with_suffix(".mo")
        target.parent.mkdir(parents=True, exist_ok=True)
        compiled = io.BytesIO()
        write_mo(compiled, catalog)
        target.write_bytes(sorted_tables(compiled.getvalue()))
        written.append(target)
    return written


def sorted_tables(mo: bytes) -> bytes:
    """MO (a GNU .mo file) with its tables of originals and translations in the byte
    order of the originals, as GNU msgfmt writes them: colabctl finds a message by binary
    search in them (colabctl/i18n.py). Babel orders by message id, then context, so a
    message with a context ("column\x04active") lands out of place; only the two tables
    of (length, offset) pairs move, the strings stay where they are."""
    order = "<" if mo[:4] == b"\xde\x12\x04\x95" else ">"
    count, originals, translations = struct.unpack_from(f"{order}3I", mo, 8)

    def pairs(at: int) -> list[tuple[int, int]]:
        return list(struct.iter_unpack(f"{order}2I", mo[at : at + 8 * count]))

    keys, values = pairs(originals), pairs(translations)
    ranked = sorted(range(count), key=lambda i: mo[keys[i][1] : keys[i][1] + keys[i][0]])
    out = bytearray(mo)
    for at, table in ((originals, keys), (translations, values)):
        moved = [number for i in ranked for number in table[i]]
        out[at : at + 8 * count] = struct.pack(f"{order}{2 * count}I", *moved)
    return bytes(out)


# -- check ---------------------------------------------------------------------------------

_PLACEHOLDERS = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|%[sdr]|\{[^{}]*\}")


def placeholders(text: str) -> list[str]:
    """The placeholders of TEXT, %-style (named or not) and {}-style (Typer's), sorted."""
    return sorted(_PLACEHOLDERS.findall(text))


def problems(template: Any | None = None, locale: Path = LOCALE) -> list[str]:
    """Everything that keeps the catalogs (under LOCALE) from being whole, one line each."""
    from babel.messages.pofile import read_po

    template = extract() if template is None else template
    wanted = {_key(m) for m in template if m.id}
    found: list[str] = []
    for lang in LANGUAGES:
        path = po_path(lang, locale)
        with open(path, "rb") as po:
            catalog = read_po(po, locale=lang)
        have = {_key(m) for m in catalog if m.id}
        for key in sorted(wanted - have):
            found.append(f"{lang}: not in the catalog (run update): {key!r}")
        for key in sorted(have - wanted):
            found.append(f"{lang}: no longer in the source (run update): {key!r}")
        for message in catalog:
            if message.id:
                found += [f"{lang}: {text}: {_key(message)!r}" for text in _faults(message)]
    return found


def _key(message: Any) -> str:
    """A message's id as the check names it: its context first, its plural after a |."""
    text = message.id if isinstance(message.id, str) else " | ".join(message.id)
    return f"[{message.context}] {text}" if message.context else text


def _faults(message: Any) -> Iterator[str]:
    sources = [message.id] if isinstance(message.id, str) else list(message.id)
    strings = [message.string] if isinstance(message.string, str) else list(message.string)
    if message.fuzzy:
        yield "fuzzy"
    if not all(strings):
        yield "untranslated"
        return
    expected = placeholders(sources[-1])
    for string in strings:
        if placeholders(string) != expected:
            yield f"placeholders {placeholders(string)} differ from {expected}"


def stale_compiled(installed: Path) -> list[str]:
    """The compiled catalogs under INSTALLED (the locale folder of the colabctl that
    runs) that are not what the .po files compile to now: in a checkout, run
    `python scripts/i18n.py compile` (or reinstall)."""
    import tempfile

    stale = []
    with tempfile.TemporaryDirectory() as fresh:
        for built in compile_catalogs(out=Path(fresh)):
            lang = built.parent.parent.name
            mine = po_path(lang, installed).with_suffix(".mo")
            if not mine.exists() or mine.read_bytes() != built.read_bytes():
                stale.append(f"{lang}: {mine} is missing or out of date")
    return stale


def main(argv: list[str]) -> int:
    if argv[:1] == ["extract"]:
        print(f"{len(write_template())} messages -> {TEMPLATE.relative_to(ROOT)}")
    elif argv[:1] == ["update"]:
        update()
    elif argv[:1] == ["compile"]:
        for path in compile_catalogs():
            print(path.relative_to(ROOT))
    elif argv[:1] == ["check"]:
        found = problems()
        for line in found:
            print(line)
        return 1 if found else 0
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
