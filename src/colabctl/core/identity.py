"""Email addresses: validation and normalisation, the identity key, and lookalikes.

email-validator costs ~40 ms to import, so it is imported only where an address is created
or invited (`normalize_email`), and so are the lookalike rules and their data; `email_key`
(colabctl.store.keys, because m003 recomputes it) serves the hot `can` path and needs
nothing.
"""

from functools import cache
from typing import Any
from unicodedata import normalize

from colabctl.errors import Invalid
from colabctl.store.keys import email_key

__all__ = [
    "email_key",
    "looks_like_someone",
    "normalize_email",
    "normalize_email_fast",
    "refuse_lookalike",
]


def normalize_email(raw: str) -> str:
    """Validate `raw` with email-validator (no DNS lookups) and return its normalised form.

    The domain is lower-cased (and IDNA-normalised), the local part keeps its case, as
    docs/commands.md asks. Surrounding whitespace is ignored. Raises Invalid with
    email-validator's reason.
    """
    from email_validator import EmailNotValidError, validate_email

    from colabctl.core.names import quoted

    address = raw.strip()
    if not address:
        raise Invalid("email address is empty", hint="give an address like ana.souza@example.com")
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        reason = _clause(str(exc))
        raise Invalid(
            f"{quoted(address)} is not a valid email address: {reason}",
            hint="give an address like ana.souza@example.com",
        ) from exc


def normalize_email_fast(raw: str) -> str:
    """`normalize_email`, with email-validator's work on the domain done once per distinct
    domain (a 100k-person team file has a few hundred domains): the same steps as
    `validate_email` (split, local part, NFC, RFC 2142 names, domain, lengths), each by
    email-validator's own function, for the plain case (no display name, no quoting, no
    domain literal, a local part already in NFC). Anything else, and any fault, goes
    through `normalize_email` itself, so every refusal and its message is its own.
    tests/core/test_email_fast.py holds the two to the same answers."""
    address = raw.strip()
    try:
        found = _fast(address)
    except ValueError:  # EmailNotValidError is one
        found = None
    return normalize_email(raw) if found is None else found


def _fast(address: str) -> str | None:
    """The normalised ADDRESS, or None where only the full validation may answer."""
    if not address:
        return None
    ev, split_email, local_part, validate_email_length, CASE_INSENSITIVE_MAILBOX_NAMES = _ev()
    display, original_local, local, quoted, domain_part = split_email(address)
    if display is not None or quoted or not domain_part or domain_part.startswith("["):
        return None
    if normalize("NFC", local) != local:
        return None
    info = local_part(
        local,
        allow_smtputf8=ev.ALLOW_SMTPUTF8,
        allow_empty_local=ev.ALLOW_EMPTY_LOCAL,
        quoted_local_part=False,
        strict=ev.STRICT,
    )
    local_out, ascii_local = info["local_part"], info["ascii_local_part"]
    if ascii_local is not None and ascii_local.lower() in CASE_INSENSITIVE_MAILBOX_NAMES:
        ascii_local = ascii_local.lower()
        local_out = local_out.lower()
    domain = _domain(domain_part, ev.TEST_ENVIRONMENT, ev.GLOBALLY_DELIVERABLE)
    if domain is None:
        return None
    checked = ev.ValidatedEmail()
    checked.original = original_local + "@" + domain_part
    checked.local_part, checked.ascii_local_part = local_out, ascii_local
    checked.domain, checked.ascii_domain = domain
    normalized: str = local_out + "@" + domain[0]
    checked.normalized = normalized
    validate_email_length(checked)
    return normalized


@cache
def _ev() -> tuple[Any, Any, Any, Any, Any]:
    """email-validator's module and the functions `_fast` runs, imported once."""
    import email_validator
    from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES
    from email_validator.syntax import (
        split_email,
        validate_email_length,
        validate_email_local_part,
    )

    return (
        email_validator,
        split_email,
        validate_email_local_part,
        validate_email_length,
        CASE_INSENSITIVE_MAILBOX_NAMES,
    )


_DOMAINS: dict[tuple[str, bool, bool], tuple[str, str] | None] = {}


def _domain(part: str, test_environment: bool, globally: bool) -> tuple[str, str] | None:
    """email-validator's (domain, ascii_domain) of a domain part, once per part; None
    when it refuses it (the full validation then says why, in its own order)."""
    key = (part, test_environment, globally)
    if key not in _DOMAINS:
        from email_validator import EmailNotValidError
        from email_validator.syntax import validate_email_domain_name

        try:
            info = validate_email_domain_name(
                part, test_environment=test_environment, globally_deliverable=globally
            )
            _DOMAINS[key] = (info["domain"], info["ascii_domain"])
        except EmailNotValidError:
            _DOMAINS[key] = None
    return _DOMAINS[key]


def _clause(sentence: str) -> str:
    """email-validator's reason ("The part after the @-sign is not valid. It should have a
    period.") as the tail of our one-line message: one line, printable, lower-case start,
    no final period."""
    text = " ".join(sentence.split()).removesuffix(".")
    text = "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)
    if text[:2].istitle():  # "The ..." -> "the ...", but "IDNA ..." stays
        text = text[0].lower() + text[1:]
    return text or "email-validator refused it"


# Where a user is created or invited, an address must not pass for another one (docs/
# commands.md, "Email addresses and identity"). Unicode's own rules and data: NFKC from
# unicodedata; the Script property and the TR39 skeleton from Unicode's Scripts.txt and
# confusables.txt (colabctl.store.unicode). The confusable-homoglyphs package was tried for
# scripts and left out: it imports urllib.request (~80 ms, http.client and the email
# parser) on every import, carries Unicode 15.1 data, and reads its data from wherever the
# CONFUSABLE_DATA environment variable points.

LOOKALIKE_HINT = (
    "check the address letter by letter: colabctl refuses addresses that can pass"
    " for another one (docs/commands.md)"
)

# UTS #39 augmented script sets: Han is also part of Japanese, Korean and Han with
# Bopomofo, so kana with kanji or hangul with hanja is one writing system, not a mix.
_AUGMENTED = {
    "Han": {"Han", "Jpan", "Kore", "Hanb"},
    "Hiragana": {"Hiragana", "Jpan"},
    "Katakana": {"Katakana", "Jpan"},
    "Hangul": {"Hangul", "Kore"},
    "Bopomofo": {"Bopomofo", "Hanb"},
}
_ANY_SCRIPT = {"Common", "Inherited"}  # digits, ".", "_", combining marks: fit any script


def scripts_of(text: str) -> list[str]:
    """The scripts of TEXT's letters, in order of first appearance (Common and Inherited
    characters, such as digits and combining marks, belong to none)."""
    from colabctl.store.unicode import script

    seen: list[str] = []
    for char in text:
        name = script(char)
        if name not in _ANY_SCRIPT and name not in seen:
            seen.append(name)
    return seen


def is_mixed_script(text: str) -> bool:
    """UTS #39 section 5.1: TEXT is mixed-script when its resolved script set is empty."""
    resolved: set[str] | None = None
    for script in scripts_of(text):
        augmented = _AUGMENTED.get(script, {script})
        resolved = augmented if resolved is None else resolved & augmented
        if not resolved:
            return True
    return False


def refuse_lookalike(address: str) -> None:
    """Exit 6 for an address whose local part mixes scripts or holds characters that NFKC
    replaces (fullwidth "ｃ", ligatures, superscripts): the rules that need no store. The
    skeleton rule needs the other users: `Session.add_user`."""
    local = address.rpartition("@")[0]
    if local.isascii():  # ASCII letters are all Latin, and NFKC leaves ASCII alone
        return
    import unicodedata

    from colabctl.core.names import quoted

    local = unicodedata.normalize("NFC", local)  # only what NFC keeps counts as a stand-in
    compatible = unicodedata.normalize("NFKC", local)
    if compatible != local:
        odd = "".join(dict.fromkeys(c for c in local if unicodedata.normalize("NFKC", c) != c))
        raise Invalid(
            f"{quoted(address)} is refused: its local part has characters that stand in for"
            f" others ({quoted(odd)}; NFKC makes it {quoted(compatible)})",
            hint=LOOKALIKE_HINT,
        )
    if is_mixed_script(local):
        scripts = " and ".join(name.replace("_", " ") for name in scripts_of(local))
        raise Invalid(
            f"{quoted(address)} is refused: its local part mixes scripts ({scripts})",
            hint=LOOKALIKE_HINT,
        )


def looks_like_someone(address: str) -> Invalid:
    """The refusal for an address whose skeleton is another user's. It never names that
    user: whoever tries an address must not learn a real one this way."""
    from colabctl.core.names import quoted

    return Invalid(
        f"{quoted(address)} looks like the address of an existing user", hint=LOOKALIKE_HINT
    )
