"""An audit row in words: what it changed, for a person reading the history
(`audit log`'s change column and its JSON `change`; docs/commands.md, "audit log").

`change(entry)` is a pure function of the row as shown: a row whose tax ID was hidden
from the reader (core/audit.py) says that a tax ID was set, without it. The words are
English as a str (in JSON always): a Text, which the table shows in the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from colabctl.i18n import Plural, Text, Word
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


def _moment(value: str) -> str:
    """A stored moment as people read it: a day's end is that day (access until a date)."""
    return value[: -len(END_OF_DAY)] if value.endswith(END_OF_DAY) else value


def _text(value: Any) -> str:
    return f'"{value}"'


def _tax(details: dict[str, Any]) -> str | None:
    """The tax ID, formatted, where the reader may see it; else None (there is one)."""
    number, country = details.get("tax_id"), details.get("country")
    if number is None or country is None:
        return None
    from colabctl.core.taxid import format_tax_id

    try:
        shown = format_tax_id(number, country)
    except Exception:  # a country or number colabctl no longer knows: shown as stored
        shown = number
    return f"{country} {shown}"


def _user_create(target: str, d: dict[str, Any]) -> str:
    name = d.get("name")
    if name:
        return Text("new user %(user)s (%(name)s)", user=target, name=_text(name))
    return Text("new user %(user)s", user=target)


def _account_create(target: str, d: dict[str, Any]) -> str:
    said = {"account": target, "name": _text(d["name"])}
    if "tax_id" not in d:
        return Text("%(account)s created as %(name)s", **said)
    tax = _tax(d)
    if tax is None:
        return Text("%(account)s created as %(name)s, a tax ID", **said)
    return Text("%(account)s created as %(name)s, tax ID %(tax_id)s", tax_id=tax, **said)


def _set_tax_id(target: str, d: dict[str, Any]) -> str:
    tax = _tax(d)
    if tax is None:
        return Text("a tax ID registered")
    return Text("tax ID %(tax_id)s registered", tax_id=tax)


def _profile_create(target: str, d: dict[str, Any]) -> str:
    count = len(d["permissions"])
    said: dict[str, object] = {"profile": target, "count": count}
    if d.get("preset"):
        return Plural(
            "%(profile)s created with %(count)d permission from preset %(preset)s",
            "%(profile)s created with %(count)d permissions from preset %(preset)s",
            count,
            preset=d["preset"],
            **said,
        )
    return Plural(
        "%(profile)s created with %(count)d permission",
        "%(profile)s created with %(count)d permissions",
        count,
        **said,
    )


def _profile_edit(target: str, d: dict[str, Any]) -> str:
    moves = " ".join([f"+{p}" for p in d["added"]] + [f"-{p}" for p in d["removed"]])
    if d.get("description") is None:
        return f"{target}: {moves}"  # ids only: the same in every language
    described = _text(d["description"])
    if not moves:
        return Text(
            "%(profile)s: description %(description)s", profile=target, description=described
        )
    return Text(
        "%(profile)s: %(moves)s description %(description)s",
        profile=target,
        moves=moves,
        description=described,
    )


def _profile_delete(target: str, d: dict[str, Any]) -> str:
    moved = d.get("reassigned_to")
    # everyone moved: its holders and (rows since they were counted) its assigned people
    count = len(d.get("holders") or []) + len(d.get("assigned") or [])
    if moved and count:
        return Plural(
            "%(profile)s deleted; %(count)d person moved to %(other)s",
            "%(profile)s deleted; %(count)d people moved to %(other)s",
            count,
            profile=target,
            count=count,
            other=moved,
        )
    return Text("%(profile)s deleted", profile=target)


def _invitation_create(target: str, d: dict[str, Any]) -> str:
    said = {"user": target, "profile": d["profile"], "expires": d["expires_at"]}
    until = d.get("access_until")
    if until:
        return Text(
            "%(user)s invited as %(profile)s, expires %(expires)s, access until %(until)s",
            until=_moment(until),
            **said,
        )
    return Text("%(user)s invited as %(profile)s, expires %(expires)s", **said)


def _set_access_until(target: str, d: dict[str, Any]) -> str:
    if d["to"] is None:
        return Text("%(user)s: access no longer ends", user=target)
    return Text("%(user)s: access until %(until)s", user=target, until=_moment(d["to"]))


def _transfer_offer(target: str, d: dict[str, Any]) -> str:
    said = {"user": target, "expires": d["expires_at"]}
    if d.get("keep_as"):
        return Text(
            "ownership offered to %(user)s until %(expires)s; the owner stays as %(profile)s",
            profile=d["keep_as"],
            **said,
        )
    return Text("ownership offered to %(user)s until %(expires)s; the owner leaves", **said)


def _transfer_accept(target: str, d: dict[str, Any]) -> str:
    kept = d.get("kept_as")
    if kept:
        return Text(
            "%(user)s now owns the account; %(previous)s stays as %(profile)s",
            user=target,
            previous=d["from"],
            profile=kept,
        )
    return Text("%(user)s now owns the account; %(previous)s left", user=target, previous=d["from"])


def _review_ack(target: str, d: dict[str, Any]) -> str:
    return Text(
        "finding %(id)s (%(kind)s, %(severity)s) accepted: %(reason)s",
        id=d["finding"],
        kind=d["kind"],
        severity=Word("level", d["severity"]),
        reason=_text(d["reason"]),
    )


Words = Callable[[str, dict[str, Any]], str]

# What each action did, in words: a Text (English in JSON, translated when shown), or a
# plain str where there is nothing but ids and values to say.
_WORDS: dict[str, Words] = {
    "user.create": _user_create,
    "user.rename": lambda t, d: Text("%(user)s: name %(name)s", user=t, name=_text(d["name"])),
    "account.create": _account_create,
    "account.rename": lambda t, d: Text(
        "name %(previous)s → %(name)s", previous=_text(d["previous"]), name=_text(d["name"])
    ),
    "account.set_tax_id": _set_tax_id,
    "profile.create": _profile_create,
    "profile.edit": _profile_edit,
    "profile.delete": _profile_delete,
    "invitation.create": _invitation_create,
    "invitation.accept": lambda t, d: Text(
        "%(user)s joined as %(profile)s", user=t, profile=d["profile"]
    ),
    "invitation.decline": lambda t, d: Text("%(user)s declined the invitation", user=t),
    "invitation.expire": lambda t, d: Text(
        "%(user)s: invitation expired at %(at)s", user=t, at=d["expired_at"]
    ),
    "invitation.renew": lambda t, d: Text(
        "%(user)s: invitation renewed until %(until)s", user=t, until=d["expires_at"]
    ),
    "collaborator.set_profile": lambda t, d: f"{t}: {d['from']} → {d['to']}",
    "collaborator.set_access_until": _set_access_until,
    "collaborator.remove": lambda t, d: Text(
        "%(user)s removed (was %(status)s, %(profile)s)",
        user=t,
        status=Word("status", d["was"]),
        profile=d["profile"],
    ),
    "account.transfer_offer": _transfer_offer,
    "account.transfer_cancel": lambda t, d: Text("the offer to %(user)s cancelled", user=t),
    "account.transfer_expire": lambda t, d: Text(
        "the offer to %(user)s expired at %(at)s", user=t, at=d["expired_at"]
    ),
    "account.transfer_accept": _transfer_accept,
    "review.ack": _review_ack,
    "store.bind": lambda t, d: Text("login %(login)s bound to %(user)s", login=t, user=d["user"]),
    "store.unbind": lambda t, d: Text(
        "login %(login)s unbound from %(user)s", login=t, user=d["user"]
    ),
    "store.checkpoint": lambda t, d: Text("a checkpoint of the whole state"),
    "demo.build": lambda t, d: Text("the demo store built"),
}
