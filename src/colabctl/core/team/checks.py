"""The rules a plan's values meet, wherever the plan came from (docs/team-file.md,
"Saved plans"): a team file's values are checked as it is read (file.py), a saved plan's
change by change here, by the same rules (`tax_id`, `permission_ids`, `description` and
the commands' own: names.py, identity.py, taxid.py, catalog.py, clock.py); and a plan
from either is refused, before anything is written, for what only the store can tell: an
address it would register or invite that can pass for another (`refuse_lookalikes`).
Every fault is Invalid (exit 6); the callers say where (file and line, or plan file and
change)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from colabctl.core.catalog import catalog
from colabctl.core.clock import MAX_EXPIRY, MIN_EXPIRY
from colabctl.core.collaborators import users_by_key
from colabctl.core.identity import email_key, normalize_email_fast, refuse_lookalike
from colabctl.core.names import clean_text, quoted, validate_slug
from colabctl.core.session import Session
from colabctl.core.team.model import KINDS, Change
from colabctl.errors import ColabError, Invalid
from colabctl.i18n import _, shown

# -- the values a team file and a saved plan share ------------------------------------------


def tax_id(value: Any) -> tuple[str, str]:
    """`{ country = "CC", number = "..." }`: a business tax ID, as (country, compact)."""
    if (
        not isinstance(value, dict)
        or set(value) != {"country", "number"}
        or not all(isinstance(v, str) for v in value.values())
    ):
        raise Invalid(
            _("`tax_id` must be %(shape)s") % {"shape": '{ country = "CC", number = "..." }'},
            hint=_("e.g. %(example)s")
            % {"example": 'tax_id = { country = "BR", number = "11.222.333/0001-81" }'},
        )
    from colabctl.core.taxid import validate_business_tax_id

    valid = validate_business_tax_id(value["number"], value["country"])
    return valid.country, valid.number


def permission_ids(refs: Any, *, delegable: bool = True) -> frozenset[str]:
    """Permission ids or labels, as ids; an owner-only one is refused unless DELEGABLE
    is False (what a profile loses may be any id the catalog knows)."""
    if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
        raise Invalid(_("`permissions` must be a list of strings"))
    cat = catalog()
    resolve = cat.resolve_delegable if delegable else cat.resolve
    return frozenset(resolve(ref).id for ref in refs)


def description(value: Any) -> str:
    """A profile's description: free text, or empty."""
    if not isinstance(value, str):
        raise Invalid(_("`description` must be a string"))
    return clean_text(value, what="description") if value.strip() else ""


# -- a saved plan's changes -----------------------------------------------------------------

_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", re.ASCII)
STATUSES = ("pending", "active", "expired", "declined", "revoked", "ended")


def check_change(data: Any) -> Change:
    """A change read back from a saved plan, its values checked and normalised (gains
    and losses are not read: they are worked out again from the store)."""
    if not isinstance(data, dict):
        raise Invalid(_("a change must be an object"))
    kind = data.get("kind")
    if kind not in KINDS:
        raise Invalid(_("unknown change kind %(kind)s") % {"kind": quoted(str(kind))})
    account = validate_slug(_str(data.get("account"), "account"), what="account slug")
    person = kind in _PERSON_KINDS
    target = _str(data.get("target"), "target")
    target = _email(target) if person else validate_slug(target, what=_TARGETS[kind])
    if kind in _ACCOUNT_KINDS and target != account:
        raise Invalid(
            _("the target of %(kind)s must be its account, %(account)s")
            % {"kind": kind, "account": account}
        )
    before, after = _SHAPES[kind]
    return Change(account, kind, target, before(data.get("before")), after(data.get("after")))


def _str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise Invalid(_("`%(key)s` must be a string") % {"key": what})
    return value


def _email(value: Any) -> str:
    return normalize_email_fast(_str(value, "email"))


def _none(value: Any) -> None:
    if value is not None:
        raise Invalid(_("expected null here"))


def _slug(value: Any) -> str:
    return validate_slug(_str(value, "profile"), what="profile name")


def _moment(value: Any) -> str:
    if not isinstance(value, str) or not _MOMENT.fullmatch(value):
        raise Invalid(
            _("%(value)s is not a time as colabctl stores it (2027-03-31T23:59:59Z)")
            % {"value": quoted(str(value))}
        )
    return value


def _seconds(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise Invalid(_("`expires_in` must be a number of seconds"))
    if not MIN_EXPIRY <= timedelta(seconds=value) <= MAX_EXPIRY:
        raise Invalid(
            _("`expires_in` %(value)s is out of range") % {"value": value},
            hint=_("expiry is from 1s to 90d"),
        )
    return value


def _optional(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else check(value)


def _status(value: Any) -> str:
    if value not in STATUSES:
        raise Invalid(_("unknown status %(status)s") % {"status": quoted(str(value))})
    return str(value)


def _ids(value: Any) -> list[str]:
    return catalog().ordered(permission_ids(value, delegable=False))


def _delegable(value: Any) -> list[str]:
    return catalog().ordered(permission_ids(value))


def _name(value: Any) -> str:
    return clean_text(_str(value, "name"), what="account name")


def _title(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise Invalid(_("`title` must be an object of languages"))
    return {_str(k, "title"): clean_text(_str(v, "title"), what="title") for k, v in value.items()}


def _preset(value: Any) -> str:
    from colabctl.core.presets import find_preset

    return find_preset(_str(value, "preset")).name


def _tax(value: Any) -> dict[str, str]:
    country, number = tax_id(value)
    return {"country": country, "number": number}


def _fields(**checks: Callable[[Any], Any]) -> Callable[[Any], dict[str, Any]]:
    """An object with exactly these keys, each value checked."""

    def check(value: Any) -> dict[str, Any]:
        if not isinstance(value, dict) or set(value) != set(checks):
            raise Invalid(
                _("expected an object with the keys %(keys)s") % {"keys": ", ".join(checks)}
            )
        return {key: checks[key](value[key]) for key in checks}

    return check


_INVITE = _fields(profile=_slug, expires_in=_seconds, access_until=_optional(_moment))
_SHAPES: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "register-user": (_none, _none),
    "create-account": (
        _none,
        _fields(name=_name, owner=_email, tax_id=_optional(_tax)),
    ),
    "rename-account": (_optional(_name), _name),
    "set-tax-id": (_optional(_tax), _tax),
    "create-profile": (
        _none,
        _fields(
            permissions=_delegable,
            description=description,
            title=_optional(_title),
            preset=_optional(_preset),
        ),
    ),
    "change-profile": (
        _fields(permissions=_ids, description=description),
        _fields(permissions=_delegable, description=description, added=_delegable, removed=_ids),
    ),
    "invite": (
        _optional(_fields(status=_status, profile=_optional(_slug), expires_at=_optional(_moment))),
        _INVITE,
    ),
    "reinvite": (
        _fields(status=_status, profile=_optional(_slug), ended_at=_optional(_moment)),
        _INVITE,
    ),
    "set-profile": (_optional(_slug), _slug),
    "set-access-until": (_optional(_moment), _optional(_moment)),
    "renew": (
        _fields(status=_status, profile=_optional(_slug), expires_at=_optional(_moment)),
        _fields(expires_in=_seconds),
    ),
    "remove": (_fields(status=_status, profile=_optional(_slug)), _none),
    "delete-profile": (_fields(permissions=_ids), _none),
}
_PERSON_KINDS = frozenset(
    ("register-user", "invite", "reinvite", "set-profile", "set-access-until", "renew", "remove")
)
_ACCOUNT_KINDS = frozenset(("create-account", "rename-account", "set-tax-id"))
_TARGETS = {kind: "account slug" for kind in _ACCOUNT_KINDS} | {
    "create-profile": "profile name",
    "change-profile": "profile name",
    "delete-profile": "profile name",
}


def located(where: str, exc: ColabError) -> Invalid:
    """EXC's refusal, said of WHERE (a file and line, a plan file and change)."""
    return Invalid(f"{where}: {shown(exc.message)}", hint=exc.hint)


# -- what only the store can tell -----------------------------------------------------------

NEW_PEOPLE = ("register-user", "invite", "reinvite")


def refuse_lookalikes(
    s: Session, changes: Sequence[Change], where: Callable[[int, Change], str]
) -> None:
    """Exit 6 for an address the plan would register or invite that can pass for
    another (docs/commands.md, "Email addresses and identity"), as apply would refuse it:
    a local part that mixes scripts or that NFKC changes, or, for someone not yet
    registered, the skeleton of a stored user's address or of another new one in the
    plan. WHERE(number, change) says where a change came from. It only reads."""
    from colabctl.store.keys import skeleton

    people = [(i, c) for i, c in enumerate(changes, 1) if c.kind in NEW_PEOPLE]
    for i, change in people:
        try:
            refuse_lookalike(change.target)
        except Invalid as exc:
            raise located(where(i, change), exc) from exc
    keys = {email_key(c.target): (i, c) for i, c in people}
    new = [(c.target, key, skeleton(c.target)) for key, (i, c) in keys.items()]
    known = users_by_key(s, list(keys))
    found = s.lookalike([item for item in new if item[1] not in known])
    if found is not None:
        from colabctl.core.identity import looks_like_someone

        i, change = keys[email_key(found)]
        raise located(where(i, change), looks_like_someone(found))
