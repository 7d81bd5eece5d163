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

At run time only the standard library's gettext reads one compiled catalog
(locale/<lang>/LC_MESSAGES/colabctl.mo, built from the .po files beside it by Babel:
scripts/i18n.py); English needs none. A missing catalog means English, never a failure.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from gettext import GNUTranslations

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
    from gettext import GNUTranslations

    path = os.path.join(LOCALE_DIR, code, "LC_MESSAGES", f"{DOMAIN}.mo")
    try:
        with open(path, "rb") as compiled:
            return GNUTranslations(compiled)
    except OSError:  # not compiled (a bare checkout): English rather than a failure
        return None


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
