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
from colabctl.i18n import N_, _
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
    hint = _("give an address like ana.souza@example.com")
    if not address:
        raise Invalid(_("email address is empty"), hint=hint)
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise Invalid(refusal(quoted(address), str(exc)), hint=hint) from exc


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


# email-validator's reasons (English sentences of its own) told in colabctl's words, so
# they can be said in every language: the first pattern that matches the library's
# sentence picks ours. The characters it lists (Unicode names, U+ codes, the character
# in quotes) are kept as they are, like any code.
_REFUSALS: tuple[tuple[str, str], ...] = (
    (r"must have an @-sign", N_("%(address)s is not a valid email address: it has no @-sign")),
    (
        r"at-sign \(@\) character instead|small commercial at",
        N_(
            "%(address)s is not a valid email address: it has a character that looks like"
            " the @-sign instead of the @-sign itself"
        ),
    ),
    (
        r"something before the @-sign",
        N_("%(address)s is not a valid email address: there is nothing before the @-sign"),
    ),
    (
        r"something after the @-sign",
        N_("%(address)s is not a valid email address: there is nothing after the @-sign"),
    ),
    (
        r"too long|so many characters",
        N_("%(address)s is not a valid email address: it is too long"),
    ),
    (
        r"IDNA|Punycode|normalizing to international",
        N_(
            "%(address)s is not a valid email address: the part after the @-sign is not a"
            " valid international domain name"
        ),
    ),
    (
        r"unsafe characters: (?P<chars>.+)\.$",
        N_("%(address)s is not a valid email address: it has unsafe characters (%(chars)s)"),
    ),
    (
        r"two periods in a row",
        N_("%(address)s is not a valid email address: it has two periods in a row"),
    ),
    (
        r"start with a period",
        N_("%(address)s is not a valid email address: it starts with a period"),
    ),
    (
        r"period immediately before the @-sign",
        N_("%(address)s is not a valid email address: it has a period just before the @-sign"),
    ),
    (
        r"immediately after the @-sign",
        N_(
            "%(address)s is not a valid email address: the part after the @-sign starts with a"
            " period or a hyphen"
        ),
    ),
    (
        r"end with a",
        N_("%(address)s is not a valid email address: it ends with a period or a hyphen"),
    ),
    (
        r"period and a hyphen next to each other",
        N_(
            "%(address)s is not a valid email address: it has a period and a hyphen next to"
            " each other"
        ),
    ),
    (
        r"before the @-sign(?: are not supported)?: (?P<chars>.+)\.$",
        N_(
            "%(address)s is not a valid email address: it has characters that are not allowed"
            " before the @-sign (%(chars)s)"
        ),
    ),
    (
        r"part after the @-sign contains invalid characters[^:(]*: (?P<chars>.+)\.$",
        N_(
            "%(address)s is not a valid email address: it has characters that are not allowed"
            " after the @-sign (%(chars)s)"
        ),
    ),
    (
        r"should have a period",
        N_(
            "%(address)s is not a valid email address: the part after the @-sign has no period"
            " (a domain looks like example.com)"
        ),
    ),
    (
        r"top-level domain",
        N_(
            "%(address)s is not a valid email address: the part after the @-sign does not end"
            " in a valid top-level domain"
        ),
    ),
    (
        r"special-use or reserved name",
        N_(
            "%(address)s is not a valid email address: the part after the @-sign is a"
            " special-use or reserved name, which cannot receive email"
        ),
    ),
    (
        r"display name|angle bracket|[Qq]uot|bracket|anything after the email",
        N_(
            "%(address)s is not a valid email address: only a plain address is accepted, with"
            " no display name, angle brackets, quotes or IP address"
        ),
    ),
    (
        r"invalid character|not valid ASCII|not supported",
        N_("%(address)s is not a valid email address: it has characters that are not allowed"),
    ),
)
_REFUSED = N_("%(address)s is not a valid email address")


def refusal(address: str, reason: str) -> str:
    """Why email-validator refused ADDRESS (shown quoted), in colabctl's words: REASON,
    the library's English sentence, picks which (docs/commands.md, "Names, emails and
    tax IDs")."""
    import re

    sentence = " ".join(reason.split())
    for pattern, message in _REFUSALS:
        found = re.search(pattern, sentence)
        if found is not None:
            chars = found.groupdict().get("chars") or ""
            chars = "".join(c if c.isprintable() else repr(c)[1:-1] for c in chars)
            return _(message) % {"address": address, "chars": chars}
    return _(_REFUSED) % {"address": address}


# Where a user is created or invited, an address must not pass for another one (docs/
# commands.md, "Email addresses and identity"). Unicode's own rules and data: NFKC from
# unicodedata; the Script property and the TR39 skeleton from Unicode's Scripts.txt and
# confusables.txt (colabctl.store.unicode). The confusable-homoglyphs package was tried for
# scripts and left out: it imports urllib.request (~80 ms, http.client and the email
# parser) on every import, carries Unicode 15.1 data, and reads its data from wherever the
# CONFUSABLE_DATA environment variable points.

LOOKALIKE_HINT = N_(
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
            _(
                "%(address)s is refused: its local part has characters that stand in for"
                " others (%(chars)s; NFKC makes it %(nfkc)s)"
            )
            % {"address": quoted(address), "chars": quoted(odd), "nfkc": quoted(compatible)},
            hint=_(LOOKALIKE_HINT),
        )
    if is_mixed_script(local):
        # Unicode's names of the scripts (Latin, Cyrillic), as the Script property has them
        scripts = ", ".join(name.replace("_", " ") for name in scripts_of(local))
        raise Invalid(
            _("%(address)s is refused: its local part mixes scripts (%(scripts)s)")
            % {"address": quoted(address), "scripts": scripts},
            hint=_(LOOKALIKE_HINT),
        )


def looks_like_someone(address: str) -> Invalid:
    """The refusal for an address whose skeleton is another user's. It never names that
    user: whoever tries an address must not learn a real one this way."""
    from colabctl.core.names import quoted

    return Invalid(
        _("%(address)s looks like the address of an existing user") % {"address": quoted(address)},
        hint=_(LOOKALIKE_HINT),
    )
