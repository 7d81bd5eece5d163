"""The words a person reads for enum values: a membership's status, a risk or severity
level, the owner's role. JSON keeps the values themselves (`"status": "active"`); text
says them in the chosen language (docs/glossary.md has the words). `status()`, `role()`
and `level()` translate now, for a message or a table's cell (cli/output.py shows them);
`status_word` keeps the value for a Text (JSON)."""

from __future__ import annotations

from colabctl.i18n import NC_, Word, pgettext

WORDS = (
    NC_("status", "pending"),
    NC_("status", "active"),
    NC_("status", "expired"),
    NC_("status", "declined"),
    NC_("status", "revoked"),
    NC_("status", "ended"),
    NC_("role", "owner"),
    NC_("level", "high"),
    NC_("level", "medium"),
    NC_("level", "low"),
    NC_("level", "owner"),  # a permission's risk when only the owner may hold it
)


def status(value: str) -> str:
    """A membership's status (pending, active...) as a person reads it, now."""
    return pgettext("status", value)


def role(value: str | None) -> str:
    """A role as a person reads it, now: `owner` in words, a profile's name as it is."""
    if value is None:
        return ""
    return pgettext("role", value) if value == "owner" else value


def level(value: str) -> str:
    """A risk or severity (high, medium, low; owner for an owner-only permission) as a
    person reads it, now."""
    return pgettext("level", value)


def status_word(value: str) -> Word:
    """A status for a Text: the value in JSON, the word when shown."""
    return Word("status", value)
