"""Slugs, free-text names, and showing untrusted input in a one-line error (docs/commands.md)."""

import re
import unicodedata
from collections.abc import Iterable

from colabctl.errors import Invalid

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
    or hostile argument can never break or flood the `error: ...` line.
    """
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
            shown = "".join(pieces)
            return f"{quote}{shown}{quote}... ({len(value)} characters)"
        pieces.append(piece)
        size += len(piece)
    return quote + "".join(pieces) + quote


def closest(asked: str, choices: Iterable[str]) -> str | None:
    """The choice closest to ASKED (a typo: `suporte` for `soporte`), if any is close.
    CHOICES must be what the actor may see: a suggestion shows its existence."""
    import difflib

    found = difflib.get_close_matches(asked, [c for c in choices if c != asked], n=1)
    return found[0] if found else None


def _slug_hint(value: str, what: str) -> str:
    example = "gerente-afiliados" if "profile" in what else "acme-cursos"
    rule = "use 2-40 lowercase letters, digits and hyphens, starting with a letter"
    # "Acme Cursos" or "acme_cursos" -> offer the slug they most likely meant.
    guess = re.sub(r"[\s_]+", "-", value.strip().lower())
    if guess != value and _SLUG_RE.fullmatch(guess):
        return f"{rule}, e.g. {guess}"
    return f"{rule}, e.g. {example}"


def validate_slug(value: str, *, what: str = "account slug") -> str:
    """Return `value` if it is a valid slug (docs/commands.md, "Names, emails and tax
    IDs"), else raise Invalid.

    A slug is 2-40 characters of ASCII lowercase letters, digits and hyphens, starting with a
    letter. Nothing is trimmed or lower-cased: a slug is an identifier and is taken as typed.
    """
    if _SLUG_RE.fullmatch(value):
        return value
    hint = _slug_hint(value, what)
    if not value:
        raise Invalid(f"{what} is empty", hint=hint)
    bad = next((char for char in value if not _SLUG_CHAR_RE.fullmatch(char)), None)
    if bad is not None:
        raise Invalid(
            f"{what} {quoted(value)} contains {quoted(bad)}, which is not allowed", hint=hint
        )
    if not value[0].isalpha():
        raise Invalid(f"{what} {quoted(value)} must start with a letter", hint=hint)
    # Only the length is left to be wrong.
    raise Invalid(
        f"{what} {quoted(value)} has {len(value)} "
        f"{'character' if len(value) == 1 else 'characters'}; it must have 2-40",
        hint=hint,
    )


def _forbidden(char: str) -> bool:
    category = unicodedata.category(char)
    # Cs: lone surrogates are what undecodable bytes in argv become (surrogateescape); they
    # are not text and SQLite cannot store them, so refuse them with the control characters.
    return category in ("Cc", "Cs") or char in _BIDI_CONTROLS


def clean_text(value: str, *, what: str = "name") -> str:
    """Return `value` trimmed, if it is acceptable free text (docs/commands.md, "Names,
    emails and tax IDs"), else raise Invalid.

    Free text (display names, titles, descriptions) is trimmed of surrounding whitespace, must
    not be empty, has at most 200 characters (code points) and no control characters: C0/C1
    controls (so no newlines or tabs inside), bidi overrides and isolates, lone surrogates.
    """
    text = value.strip()
    if not text:
        raise Invalid(f"{what} is empty", hint=f"give a {what} with at least one visible character")
    if len(text) > TEXT_MAX:
        raise Invalid(
            f"{what} {quoted(text)} is too long: {len(text)} characters, at most {TEXT_MAX}",
            hint=f"shorten the {what} to {TEXT_MAX} characters or fewer",
        )
    bad = next((char for char in text if _forbidden(char)), None)
    if bad is not None and unicodedata.category(bad) == "Cs":
        raise Invalid(
            f"{what} {quoted(text)} is not UTF-8 text",
            hint="check the encoding of the arguments or the file given",
        )
    if bad is not None:
        label = unicodedata.name(bad, "")
        code = f"U+{ord(bad):04X}" + (f" {label}" if label else "")
        raise Invalid(
            f"{what} {quoted(text)} contains a control character ({code})",
            hint="remove control characters such as newlines, tabs and text-direction overrides",
        )
    return text
