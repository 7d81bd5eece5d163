"""Slugs, free-text names, and showing untrusted input in a one-line error (docs/commands.md)."""

import re
import unicodedata
from collections.abc import Iterable

from colabctl.errors import Invalid
from colabctl.i18n import N_, Plural, _, ngettext

SLUG_MIN = 2
SLUG_MAX = 40
TEXT_MAX = 200

# re.ASCII keeps the classes ASCII-only whatever the pattern grows into; fullmatch (not
# match + "$") so a trailing newline cannot slip through.
_SLUG_RE = re.compile(rf"[a-z][a-z0-9-]{{{SLUG_MIN - 1},{SLUG_MAX - 1}}}", re.ASCII)
_SLUG_CHAR_RE = re.compile(r"[a-z0-9-]", re.ASCII)

# Format characters that reorder text on a terminal (Trojan Source, CVE-2021-42574):
# the embeddings/overrides U+202A-U+202E and the isolates U+2066-U+2069.
_BIDI_CONTROLS = frozenset(chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def quoted(value: str, *, limit: int = 50, quote: str = '"') -> str:
    """`value` in quotes, safe to put in a one-line message.

    Anything not printable (newlines, NUL, bidi overrides, lone surrogates) is shown as a
    Python escape, and the result is cut after about `limit` characters, so a 10,000-character
    or hostile argument can never break or flood the `error: ...` line. The count of a cut
    value is said in the chosen language (quoted_text: for a Text, English in JSON).
    """
    shown, cut = _quote(value, limit, quote)
    if not cut:
        return shown
    return ngettext(
        "%(value)s... (%(count)d character)", "%(value)s... (%(count)d characters)", len(value)
    ) % {"value": shown, "count": len(value)}


def quoted_text(value: str, *, limit: int = 50) -> str:
    """`quoted`, for a parameter of a Text: a cut value is a Plural, English in JSON."""
    shown, cut = _quote(value, limit, '"')
    if not cut:
        return shown
    return Plural(
        "%(value)s... (%(count)d character)",
        "%(value)s... (%(count)d characters)",
        len(value),
        value=shown,
        count=len(value),
    )


def _quote(value: str, limit: int, quote: str) -> tuple[str, bool]:
    pieces: list[str] = []
    size = 0
    for char in value:
        if char in (quote, "\\"):
            piece = "\\" + char
        elif char.isprintable():
            piece = char
        else:
            piece = repr(char)[1:-1]  # "\x00", "\u202e", "\udcff"
        if size + len(piece) > limit:
            return quote + "".join(pieces) + quote, True
        pieces.append(piece)
        size += len(piece)
    return quote + "".join(pieces) + quote, False


def at_line(file: str, line: int | None) -> str:
    """Where in FILE a fault is, as messages name it: `FILE, line N`, or FILE alone when
    the line cannot be told (0 or None)."""
    return _("%(file)s, line %(line)d") % {"file": file, "line": line} if line else file


def closest(asked: str, choices: Iterable[str]) -> str | None:
    """The choice closest to ASKED (a typo: `suporte` for `soporte`), if any is close.
    CHOICES must be what the actor may see: a suggestion shows its existence."""
    import difflib

    found = difflib.get_close_matches(asked, [c for c in choices if c != asked], n=1)
    return found[0] if found else None


def _slug_hint(value: str, what: str) -> str:
    example = "gerente-afiliados" if "profile" in what else "acme-cursos"
    # "Acme Cursos" or "acme_cursos" -> offer the slug they most likely meant.
    guess = re.sub(r"[\s_]+", "-", value.strip().lower())
    if guess != value and _SLUG_RE.fullmatch(guess):
        example = guess
    return _(
        "use 2-40 lowercase letters, digits and hyphens, starting with a letter, e.g. %(example)s"
    ) % {"example": example}


# What is said of a bad slug, as whole sentences for each kind of slug (so that each
# language can make its words agree with the field's); any other WHAT is named as it is.
_SLUG_SAYS = {
    "account slug": (
        N_("account slug is empty"),
        N_("account slug %(value)s contains %(char)s, which is not allowed"),
        N_("account slug %(value)s must start with a letter"),
    ),
    "profile name": (
        N_("profile name is empty"),
        N_("profile name %(value)s contains %(char)s, which is not allowed"),
        N_("profile name %(value)s must start with a letter"),
    ),
}
_SLUG_ANY = (
    N_("%(field)s is empty"),
    N_("%(field)s %(value)s contains %(char)s, which is not allowed"),
    N_("%(field)s %(value)s must start with a letter"),
)


def validate_slug(value: str, *, what: str = "account slug") -> str:
    """Return `value` if it is a valid slug (docs/commands.md, "Names, emails and tax
    IDs"), else raise Invalid.

    A slug is 2-40 characters of ASCII lowercase letters, digits and hyphens, starting with a
    letter. Nothing is trimmed or lower-cased: a slug is an identifier and is taken as typed.
    """
    if _SLUG_RE.fullmatch(value):
        return value
    hint = _slug_hint(value, what)
    empty, bad_char, first = _SLUG_SAYS.get(what, _SLUG_ANY)
    names = {"field": what, "value": quoted(value)}
    if not value:
        raise Invalid(_(empty) % names, hint=hint)
    bad = next((char for char in value if not _SLUG_CHAR_RE.fullmatch(char)), None)
    if bad is not None:
        raise Invalid(_(bad_char) % (names | {"char": quoted(bad)}), hint=hint)
    if not value[0].isalpha():
        raise Invalid(_(first) % names, hint=hint)
    # Only the length is left to be wrong.
    raise Invalid(_slug_length(what, len(value)) % (names | {"count": len(value)}), hint=hint)


def _slug_length(what: str, n: int) -> str:
    if what == "account slug":
        return ngettext(
            "account slug %(value)s has %(count)d character; it must have 2-40",
            "account slug %(value)s has %(count)d characters; it must have 2-40",
            n,
        )
    if what == "profile name":
        return ngettext(
            "profile name %(value)s has %(count)d character; it must have 2-40",
            "profile name %(value)s has %(count)d characters; it must have 2-40",
            n,
        )
    return ngettext(
        "%(field)s %(value)s has %(count)d character; it must have 2-40",
        "%(field)s %(value)s has %(count)d characters; it must have 2-40",
        n,
    )


def _forbidden(char: str) -> bool:
    category = unicodedata.category(char)
    # Cs: lone surrogates are what undecodable bytes in argv become (surrogateescape); they
    # are not text and SQLite cannot store them, so refuse them with the control characters.
    return category in ("Cc", "Cs") or char in _BIDI_CONTROLS


# What is said of bad free text, as whole sentences for each field: empty, too long, not
# UTF-8, holding a control character. Any other WHAT (a file's key, such as title.es) is
# named as it is.
_TEXT_SAYS = {
    "name": (
        N_("name is empty"),
        N_("name %(value)s is too long: %(count)d characters, at most %(max)d"),
        N_("name %(value)s is not UTF-8 text"),
        N_("name %(value)s contains a control character (%(code)s)"),
    ),
    "account name": (
        N_("account name is empty"),
        N_("account name %(value)s is too long: %(count)d characters, at most %(max)d"),
        N_("account name %(value)s is not UTF-8 text"),
        N_("account name %(value)s contains a control character (%(code)s)"),
    ),
    "description": (
        N_("description is empty"),
        N_("description %(value)s is too long: %(count)d characters, at most %(max)d"),
        N_("description %(value)s is not UTF-8 text"),
        N_("description %(value)s contains a control character (%(code)s)"),
    ),
    "title": (
        N_("title is empty"),
        N_("title %(value)s is too long: %(count)d characters, at most %(max)d"),
        N_("title %(value)s is not UTF-8 text"),
        N_("title %(value)s contains a control character (%(code)s)"),
    ),
    "reason": (
        N_("reason is empty"),
        N_("reason %(value)s is too long: %(count)d characters, at most %(max)d"),
        N_("reason %(value)s is not UTF-8 text"),
        N_("reason %(value)s contains a control character (%(code)s)"),
    ),
}
_TEXT_ANY = (
    N_("%(field)s is empty"),
    N_("%(field)s %(value)s is too long: %(count)d characters, at most %(max)d"),
    N_("%(field)s %(value)s is not UTF-8 text"),
    N_("%(field)s %(value)s contains a control character (%(code)s)"),
)


def clean_text(value: str, *, what: str = "name") -> str:
    """Return `value` trimmed, if it is acceptable free text (docs/commands.md, "Names,
    emails and tax IDs"), else raise Invalid.

    Free text (display names, titles, descriptions) is trimmed of surrounding whitespace, must
    not be empty, has at most 200 characters (code points) and no control characters: C0/C1
    controls (so no newlines or tabs inside), bidi overrides and isolates, lone surrogates.
    """
    text = value.strip()
    empty, too_long, not_text, control = _TEXT_SAYS.get(what, _TEXT_ANY)
    names: dict[str, object] = {"field": what, "value": quoted(text)}
    if not text:
        raise Invalid(_(empty) % names, hint=_("write at least one visible character"))
    if len(text) > TEXT_MAX:
        raise Invalid(
            _(too_long) % (names | {"count": len(text), "max": TEXT_MAX}),
            hint=_("shorten it to %(max)d characters or fewer") % {"max": TEXT_MAX},
        )
    bad = next((char for char in text if _forbidden(char)), None)
    if bad is not None and unicodedata.category(bad) == "Cs":
        raise Invalid(
            _(not_text) % names,
            hint=_("check the encoding of the arguments or the file given"),
        )
    if bad is not None:
        label = unicodedata.name(bad, "")
        code = f"U+{ord(bad):04X}" + (f" {label}" if label else "")
        raise Invalid(
            _(control) % (names | {"code": code}),
            hint=_("remove control characters such as newlines, tabs and text-direction overrides"),
        )
    return text
