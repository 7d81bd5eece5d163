"""An audit row in words: what it changed, for a person reading the history
(`audit log`'s change column and its JSON `change`; docs/commands.md, "audit log").

`change(entry)` is a pure function of the row as shown: a row whose tax ID was hidden
from the reader (core/audit.py) says that a tax ID was set, without it. The words are
English here (in JSON always); the table will say the same in the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from colabctl.store.audit import Entry

END_OF_DAY = "T23:59:59Z"  # how a date of access is stored: that day's end, UTC


def change(entry: Entry) -> str:
    """What ENTRY did, in one line of words."""
    words = _WORDS.get(entry.action)
    if words is None:
        return entry.action if entry.target is None else f"{entry.action} {entry.target}"
    try:
        return words(entry.target or "", entry.details)
    except (KeyError, TypeError, ValueError, AttributeError):
        # a row whose details are not what colabctl writes (a hand-made one): its action
        return entry.action if entry.target is None else f"{entry.action} {entry.target}"


def _moment(value: str | None) -> str:
    """A stored moment as people read it: a day's end is that day (access until a date)."""
    if value is None:
        return "never"
    return value[: -len(END_OF_DAY)] if value.endswith(END_OF_DAY) else value


def _text(value: Any) -> str:
    return f'"{value}"'


def _tax(details: dict[str, Any]) -> str:
    """The tax ID, formatted, where the reader may see it; else that there is one."""
    number, country = details.get("tax_id"), details.get("country")
    if number is None or country is None:
        return "a tax ID"
    from colabctl.core.taxid import format_tax_id

    try:
        shown = format_tax_id(number, country)
    except Exception:  # a country or number colabctl no longer knows: shown as stored
        shown = number
    return f"tax ID {country} {shown}"


def _user_create(target: str, d: dict[str, Any]) -> str:
    name = d.get("name")
    return f"new user {target}" + (f" ({_text(name)})" if name else "")


def _account_create(target: str, d: dict[str, Any]) -> str:
    tax = f", {_tax(d)}" if "tax_id" in d else ""
    return f"{target} created as {_text(d['name'])}{tax}"


def _profile_create(target: str, d: dict[str, Any]) -> str:
    count = len(d["permissions"])
    source = f" from preset {d['preset']}" if d.get("preset") else ""
    return f"{target} created with {count} permission{'s' if count != 1 else ''}{source}"


def _profile_edit(target: str, d: dict[str, Any]) -> str:
    moves = [f"+{p}" for p in d["added"]] + [f"-{p}" for p in d["removed"]]
    if d.get("description") is not None:
        moves.append(f"description {_text(d['description'])}")
    return f"{target}: {' '.join(moves)}"


def _profile_delete(target: str, d: dict[str, Any]) -> str:
    moved, holders = d.get("reassigned_to"), d.get("holders") or []
    if moved and holders:
        people = f"{len(holders)} {'person' if len(holders) == 1 else 'people'}"
        return f"{target} deleted; {people} moved to {moved}"
    return f"{target} deleted"


def _invitation_create(target: str, d: dict[str, Any]) -> str:
    until = d.get("access_until")
    tail = f", access until {_moment(until)}" if until else ""
    return f"{target} invited as {d['profile']}, expires {d['expires_at']}{tail}"


def _set_access_until(target: str, d: dict[str, Any]) -> str:
    if d["to"] is None:
        return f"{target}: access no longer ends"
    return f"{target}: access until {_moment(d['to'])}"


def _transfer_offer(target: str, d: dict[str, Any]) -> str:
    stays = f"the owner stays as {d['keep_as']}" if d.get("keep_as") else "the owner leaves"
    return f"ownership offered to {target} until {d['expires_at']}; {stays}"


def _transfer_accept(target: str, d: dict[str, Any]) -> str:
    kept = d.get("kept_as")
    stays = f"{d['from']} stays as {kept}" if kept else f"{d['from']} left"
    return f"{target} now owns the account; {stays}"


def _review_ack(target: str, d: dict[str, Any]) -> str:
    return f"finding {d['finding']} ({d['kind']}, {d['severity']}) accepted: {_text(d['reason'])}"


Words = Callable[[str, dict[str, Any]], str]

_WORDS: dict[str, Words] = {
    "user.create": _user_create,
    "user.rename": lambda t, d: f"{t}: name {_text(d['name'])}",
    "account.create": _account_create,
    "account.rename": lambda t, d: f"name {_text(d['previous'])} → {_text(d['name'])}",
    "account.set_tax_id": lambda t, d: f"{_tax(d)} registered",
    "profile.create": _profile_create,
    "profile.edit": _profile_edit,
    "profile.delete": _profile_delete,
    "invitation.create": _invitation_create,
    "invitation.accept": lambda t, d: f"{t} joined as {d['profile']}",
    "invitation.decline": lambda t, d: f"{t} declined the invitation",
    "invitation.expire": lambda t, d: f"{t}: invitation expired at {d['expired_at']}",
    "invitation.renew": lambda t, d: f"{t}: invitation renewed until {d['expires_at']}",
    "collaborator.set_profile": lambda t, d: f"{t}: {d['from']} → {d['to']}",
    "collaborator.set_access_until": _set_access_until,
    "collaborator.remove": lambda t, d: f"{t} removed (was {d['was']}, {d['profile']})",
    "account.transfer_offer": _transfer_offer,
    "account.transfer_cancel": lambda t, d: f"the offer to {t} cancelled",
    "account.transfer_expire": lambda t, d: f"the offer to {t} expired at {d['expired_at']}",
    "account.transfer_accept": _transfer_accept,
    "review.ack": _review_ack,
    "store.bind": lambda t, d: f"login {t} bound to {d['user']}",
    "store.unbind": lambda t, d: f"login {t} unbound from {d['user']}",
    "store.checkpoint": lambda t, d: "a checkpoint of the whole state",
    "demo.build": lambda t, d: "the demo store built",
}
