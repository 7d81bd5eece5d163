"""Email addresses: validation and normalisation, and the case-insensitive identity key.

email-validator costs ~40 ms to import, so it is imported only where an address is created
or invited (`normalize_email`); `email_key` serves the hot `can` path and needs nothing.
"""

from colabctl.errors import Invalid


def normalize_email(raw: str) -> str:
    """Validate `raw` with email-validator (no DNS lookups) and return its normalised form.

    The domain is lower-cased (and IDNA-normalised), the local part keeps its case, as
    SPEC "Emails" asks. Surrounding whitespace is ignored. Raises Invalid with
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


def _clause(sentence: str) -> str:
    """email-validator's reason ("The part after the @-sign is not valid. It should have a
    period.") as the tail of our one-line message: one line, printable, lower-case start,
    no final period."""
    text = " ".join(sentence.split()).removesuffix(".")
    text = "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)
    if text[:2].istitle():  # "The ..." -> "the ...", but "IDNA ..." stays
        text = text[0].lower() + text[1:]
    return text or "email-validator refused it"


def email_key(email: str) -> str:
    """The identity key: two addresses with the same key are the same user.

    Only case differs between addresses that share a key (casefold, so "Straße" and
    "STRASSE" match too); no validation, so `can` can look up anything cheaply.
    """
    return email.strip().casefold()
