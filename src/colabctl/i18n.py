"""Spanish and Portuguese: the one place that knows the language (docs/i18n.md).

A leaf module, beside errors.py and below it: every layer may mark its text here.

- `_(message)`: the message in the chosen language, now. For text only a person reads.
- `ngettext(singular, plural, n)`: the same, with the plural form for N.
- `N_(message)`: marks MESSAGE for extraction and returns it unchanged; it is translated
  where it is shown (help texts registered at import time, the exit-code table, headers).
- `pgettext(context, message)` and `NC_(context, message)`: the same for a word whose
  translation depends on where it stands (a column header, a status).
- `Text(msgid, **params)`: text a person reads that also goes into JSON as free text (a
  finding's message, a plan's note). Its str value is the English (`msgid % params`), so
  scripts see the same bytes in any language; `translated()` is what a person is shown.

Messages are whole sentences with named placeholders (`%(email)s`), filled after
translation; placeholder values (ids, emails, what people typed) are never translated.

At run time one compiled catalog is read (locale/<lang>/LC_MESSAGES/colabctl.mo, built
from the .po files beside it by Babel: scripts/i18n.py); English needs none, and a missing
catalog means English, never a failure. It is read in place: the standard library's
gettext.GNUTranslations answers every lookup (fallbacks, contexts, plural forms from the
catalog's header), but over `_Table`, which finds a message by binary search in the
.mo's table of originals (sorted by the build) and decodes only the messages asked for,
instead of the dict of all of them GNUTranslations builds when it loads (a few ms on
every run; `colabctl can` asks for about thirty).
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Mapping
from gettext import GNUTranslations, c2py  # loaded anyway: click imports gettext
from typing import Protocol, cast

LANGUAGES = ("es", "pt", "en")
DOMAIN = "colabctl"
# os.path, not pathlib: pathlib imports urllib.parse (Python 3.11), which `can` never needs
LOCALE_DIR = os.path.join(os.path.dirname(__file__), "locale")

_language = "en"
_catalog: GNUTranslations | None = None


class UnknownLanguage(ValueError):
    """A --lang or $COLABCTL_LANG value whose primary subtag is not es, pt or en."""

    def __init__(self, value: str) -> None:
        super().__init__(value)
        self.value = value


def _(message: str) -> str:
    # "" would be gettext's own metadata: an empty text stays empty
    return message if _catalog is None or not message else _catalog.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    if _catalog is None:
        return singular if n == 1 else plural
    return _catalog.ngettext(singular, plural, n)


def N_(message: str) -> str:
    return message


def pgettext(context: str, message: str) -> str:
    """`_` for a word that means different things in different places: a column header
    ("active": how many) is not a status ("active": what someone is)."""
    return message if _catalog is None else _catalog.pgettext(context, message)


def NC_(context: str, message: str) -> str:
    """`N_` with a context: marks MESSAGE; pgettext(CONTEXT, MESSAGE) translates it."""
    return message


class Text(str):
    """Text a person reads that is also a JSON free-text field: English as a str."""

    msgid: str
    params: dict[str, object]

    def __new__(cls, msgid: str, /, **params: object) -> Text:
        text = super().__new__(cls, msgid % params if params else msgid)
        text.msgid = msgid
        text.params = params
        return text

    def translated(self) -> str:
        """In the chosen language; a parameter that is itself a Text is translated too."""
        if _catalog is None:
            return str(self)
        message = _catalog.gettext(self.msgid)
        if not self.params:
            return message
        return message % {
            name: value.translated() if isinstance(value, Text) else value
            for name, value in self.params.items()
        }

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (self.msgid, self.params))


def _rebuild(msgid: str, params: dict[str, object]) -> Text:
    return Text(msgid, **params)


def _filled(message: str, params: dict[str, object]) -> str:
    """MESSAGE (translated) filled with PARAMS, each one that is a Text translated too."""
    return message % {
        name: value.translated() if isinstance(value, Text) else value
        for name, value in params.items()
    }


class Plural(Text):
    """A Text with a count in it, `ngettext`'s way: `Plural("%(count)d person",
    "%(count)d people", n, count=n)`. The English form for N as a str (JSON); in the
    chosen language, the form its plural rule picks for N."""

    singular: str
    plural: str
    n: int

    def __new__(cls, singular: str, plural: str, n: int, /, **params: object) -> Plural:
        text = cast(Plural, super().__new__(cls, singular if n == 1 else plural, **params))
        text.singular, text.plural, text.n = singular, plural, n
        return text

    def translated(self) -> str:
        if _catalog is None:
            return str(self)
        return _filled(_catalog.ngettext(self.singular, self.plural, self.n), self.params)

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_plural, (self.singular, self.plural, self.n, self.params))


def _rebuild_plural(singular: str, plural: str, n: int, params: dict[str, object]) -> Plural:
    return Plural(singular, plural, n, **params)


class Word(Text):
    """An enum value a person reads as a word (a status, a risk level): the value itself
    as a str (JSON), `pgettext(context, value)` when shown. Marked where the words are
    listed, with NC_: `Word("status", "pending")`."""

    context: str

    def __new__(cls, context: str, value: str, /) -> Word:
        text = cast(Word, super().__new__(cls, value))
        text.context = context
        return text

    def translated(self) -> str:
        return pgettext(self.context, str(self))

    def __reduce__(self) -> tuple[object, ...]:
        return (Word, (self.context, str(self)))


def shown(text: str) -> str:
    """TEXT as a person is shown it: a Text translated, any other str as it is."""
    return text.translated() if isinstance(text, Text) else text


def language() -> str:
    return _language


def set_language(code: str) -> None:
    """Use CODE (es, pt or en) from now on; its catalog is loaded once, here."""
    global _language, _catalog
    if code not in LANGUAGES:
        raise UnknownLanguage(code)
    _language = code
    _catalog = None if code == "en" else _load(code)


def _load(code: str) -> GNUTranslations | None:
    path = os.path.join(LOCALE_DIR, code, "LC_MESSAGES", f"{DOMAIN}.mo")
    try:
        with open(path, "rb") as compiled:
            return Compiled(compiled)
    except OSError:  # not compiled (a bare checkout), or not a .mo: English, not a failure
        return None


# -- reading a compiled catalog -------------------------------------------------------------


class Compiled(GNUTranslations):
    """A .mo catalog read in place: GNUTranslations' own lookups (gettext, ngettext,
    pgettext, npgettext: fallbacks, contexts, plural forms) over a `_Table` rather than
    the dict of every message it builds when it loads. For a catalog whose originals are
    sorted by their bytes (as GNU msgfmt and scripts/i18n.py write them) its answers are
    GNUTranslations' for the same file (tests/i18n/test_compiled.py)."""

    def _parse(self, fp: _Readable) -> None:
        data = fp.read()
        if len(data) < _HEADER:  # GNUTranslations would fail with struct's error
            raise OSError(0, "Bad compiled catalog: too short", getattr(fp, "name", ""))
        table = _Table.of(data)
        if table is None:  # another byte order, another version, or no .mo at all
            super()._parse(io.BytesIO(data))  # the standard library reads it, or refuses
            return
        self.plural = lambda n: int(n != 1)  # GNUTranslations' default, as its _parse sets
        if table.count and not table.original(0):  # the header: the empty original, first
            self._header(table.translation(0).decode())
        table.charset = self._charset or "ascii"  # what GNUTranslations decodes with
        self._catalog = table

    def _header(self, text: str) -> None:
        """The catalog's charset and plural rule, read from its header as GNUTranslations
        reads them (whose parser imports struct, which nothing else on `can`'s path
        loads). The rest of the header is not kept: colabctl never asks for `info()`."""
        for line in text.split("\n"):
            name, colon, value = line.partition(":")
            if not colon:
                continue
            name, value = name.strip().lower(), value.strip()
            if name == "content-type":
                self._charset = value.split("charset=")[1]
            elif name == "plural-forms":
                self.plural = self._plural_rule(value.split(";")[1].split("plural=")[1])

    def _plural_rule(self, expression: str) -> Callable[[int], int]:
        """EXPRESSION made a function by gettext's c2py when first needed (its first use
        compiles a regular expression: a tenth of a millisecond `can` never needs)."""

        def first_use(n: int) -> int:
            self.plural = c2py(expression)
            return self.plural(n)

        return first_use


class _Readable(Protocol):
    def read(self) -> bytes: ...


class _Table:
    """What GNUTranslations keeps in its dict, answered from the .mo's bytes: a message
    id (str) -> its translation; (singular id, form) -> that plural form. Each lookup is a
    binary search over the originals; only the message found is decoded."""

    charset = "ascii"

    def __init__(self, data: bytes, count: int, originals: int, translations: int) -> None:
        self.data, self.count = data, count
        # each table: (length, offset) pairs of 32-bit ints, in this machine's byte order
        self.originals = memoryview(data)[originals : originals + 8 * count].cast("I")
        self.translations = memoryview(data)[translations : translations + 8 * count].cast("I")

    @classmethod
    def of(cls, data: bytes) -> _Table | None:
        """DATA's table, if DATA is a .mo file in this machine's byte order, of a version
        GNUTranslations reads, whose tables lie inside it."""
        if data[:4] != _MAGIC:
            return None
        version, count, originals, translations = (
            int.from_bytes(data[at : at + 4], sys.byteorder) for at in (4, 8, 12, 16)
        )
        if version >> 16 not in GNUTranslations.VERSIONS:
            return None
        if max(originals, translations) + 8 * count > len(data):
            return None
        return cls(data, count, originals, translations)

    def original(self, index: int) -> bytes:
        start = self.originals[2 * index + 1]
        return self.data[start : start + self.originals[2 * index]]

    def translation(self, index: int) -> bytes:
        start = self.translations[2 * index + 1]
        return self.data[start : start + self.translations[2 * index]]

    def _first_from(self, key: bytes) -> int:
        """The index of the first original not below KEY (binary search)."""
        data, table = self.data, self.originals  # locals: this loop runs ~11 times a lookup
        low, high = 0, self.count
        while low < high:
            middle = (low + high) // 2
            start = table[2 * middle + 1]
            if data[start : start + table[2 * middle]] < key:
                low = middle + 1
            else:
                high = middle
        return low

    def get(self, key: str | tuple[str, int], default: object = None) -> object:
        message, form = key if isinstance(key, tuple) else (key, None)
        try:
            wanted = message.encode(self.charset)
        except UnicodeEncodeError:  # no original decodes to it
            return default
        if b"\0" in wanted:  # GNUTranslations' keys hold no NUL: it splits on it
            return default
        if form is not None:  # a plural message: its original is "singular\0plural"
            wanted += b"\0"
        index = self._first_from(wanted)
        if index == self.count:
            return default
        original = self.original(index)
        if form is None:
            return self.translation(index).decode(self.charset) if original == wanted else default
        if not original.startswith(wanted):
            return default
        forms = self.translation(index).split(b"\0")
        return forms[form].decode(self.charset) if 0 <= form < len(forms) else default

    def __getitem__(self, key: str | tuple[str, int]) -> str:
        found = self.get(key, _MISSING)
        if found is _MISSING:
            raise KeyError(key)
        return cast(str, found)


_MAGIC = GNUTranslations.LE_MAGIC.to_bytes(4, sys.byteorder)  # as this machine writes it
_HEADER = 28  # bytes: a .mo's seven 32-bit numbers before anything else
_MISSING = object()


# -- choosing the language ------------------------------------------------------------


def primary(tag: str) -> str:
    """The primary subtag of a language tag or locale name: pt-BR, pt_BR.UTF-8 -> pt."""
    for separator in "-_.@":
        tag = tag.split(separator, 1)[0]
    return tag.strip().lower()


def choose(explicit: str | None, environ: Mapping[str, str] | None = None) -> str:
    """The language of this run: EXPLICIT (--lang), else $COLABCTL_LANG, else the locale,
    else en. The first two must name es, pt or en (UnknownLanguage otherwise); a locale
    in another language means en."""
    env = os.environ if environ is None else environ
    for value in (explicit, env.get("COLABCTL_LANG")):
        if value is not None and value.strip():
            code = primary(value)
            if code not in LANGUAGES:
                raise UnknownLanguage(value)
            return code
    return from_locale(env)


def from_locale(environ: Mapping[str, str]) -> str:
    """LANGUAGE's first entry that is es, pt or en (whatever LANG says); else the first
    of LC_ALL, LC_MESSAGES and LANG that is set, es or pt, or en for any other."""
    for entry in environ.get("LANGUAGE", "").split(":"):
        if primary(entry) in LANGUAGES:
            return primary(entry)
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            code = primary(value)
            return code if code in LANGUAGES else "en"
    return "en"
