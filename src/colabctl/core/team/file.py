"""The team file (docs/team-file.md): read with tomllib and validated as a whole, before
anything is planned. Every fault is Invalid (exit 6) naming the file and, where the
TOML says it, the line. Store-dependent rules (who owns an account, which profiles
exist) are the plan's (core/team/planner.py); the rules here are the commands' own: slugs and
text (names.py), emails (identity.py), tax IDs (taxid.py), permissions (catalog.py),
presets (presets.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from colabctl.core import tomlfile
from colabctl.core.catalog import catalog
from colabctl.core.clock import DEFAULT_EXPIRY, iso, parse_duration
from colabctl.core.identity import email_key, normalize_email_fast
from colabctl.core.names import at_line, clean_text, quoted, validate_slug
from colabctl.core.team.checks import description, permission_ids, tax_id
from colabctl.errors import ColabError, Invalid
from colabctl.i18n import _, language, shown

VERSION = 1
ACCOUNT_KEYS = ("name", "owner", "tax_id", "profiles", "collaborators")
PROFILE_KEYS = ("preset", "permissions", "description")
MEMBER_KEYS = ("profile", "access_until", "expires_in")


class ProfileSpec(NamedTuple):
    name: str
    permissions: tuple[str, ...]  # delegable ids, catalog order
    description: str
    title: dict[str, str] | None  # a preset's, for a profile created from one
    preset: str | None
    path: tuple[str, ...]  # where it is in the file: TeamFile.where() finds the line
    # the preset's description in every language, when the file gives none: a stored
    # description equal to any of them counts as the preset's (docs/team-file.md)
    preset_descriptions: frozenset[str] = frozenset()

    def same_description(self, stored: str) -> bool:
        return stored == self.description or stored in self.preset_descriptions


class MemberSpec(NamedTuple):
    email: str  # normalised
    key: str  # identity key
    profile: str
    access_until: str | None  # stored form, e.g. 2027-03-31T23:59:59Z
    expires_in: timedelta
    path: tuple[str, ...]


@dataclass(frozen=True)
class AccountSpec:
    slug: str
    name: str | None
    owner: str | None  # normalised
    tax: tuple[str, str] | None  # (country, compact number)
    profiles: dict[str, ProfileSpec] | None  # None: the table is absent, not managed
    collaborators: dict[str, MemberSpec] | None  # by identity key; None: not managed
    path: tuple[str, ...]


@dataclass(frozen=True)
class TeamFile:
    source: str
    accounts: list[AccountSpec]
    lines: _Lines

    def where(self, path: tuple[str, ...]) -> str:
        """`FILE, line N` for a table or key of the file (`FILE` when TOML cannot tell).
        Lines are looked up only for an error: a 300k-line file is never indexed
        when it is valid."""
        return at_line(self.source, self.lines.of(*path))


# A 10,000-account team file is about 26 MB; this only stops `-f /dev/zero` reading forever.
MAX_TEAM_FILE_BYTES = tomlfile.TEAM_FILE_LIMIT


def read_bytes(source: str) -> bytes:
    """A team file's (or a saved plan's) bytes: SOURCE names a file, or `-` stdin."""
    path = None if source == "-" else Path(source)
    shown = "<stdin>" if path is None else source
    return tomlfile.read(path, shown, limit=MAX_TEAM_FILE_BYTES, what="a team file")


def read_team_file(source: str) -> TeamFile:
    """Read (a file, or `-` for stdin) and validate a team file."""
    return parse_team_file(read_bytes(source), "<stdin>" if source == "-" else source)


def parse_team_file(
    raw: bytes, source: str, *, stored: Callable[[set[str]], set[str]] | None = None
) -> TeamFile:
    """Validate the whole file. STORED, given the file's addresses, answers which of them
    a store already holds exactly so (validated and normalised when they were stored):
    those need no second trip through email-validator (~70 us an address, 7 s for a
    100k-person file)."""
    text = tomlfile.text(raw, source)
    data = tomlfile.parse(text, source, fast=True)
    known: set[str] = set()
    if stored is not None:
        known = stored(_addresses(data))
    return _Checker(source, _Lines(text), frozenset(known)).team(data)


def _addresses(data: dict[str, Any]) -> set[str]:
    """Every string that stands for an email in the parsed file (owners, collaborators)."""
    found: set[str] = set()
    accounts = data.get("accounts")
    if not isinstance(accounts, dict):
        return found
    for body in accounts.values():
        if not isinstance(body, dict):
            continue
        if isinstance(body.get("owner"), str):
            found.add(body["owner"])
        if isinstance(body.get("collaborators"), dict):
            found.update(body["collaborators"])
    return found


class _Lines:
    """Where tables and keys are in the text: the line TOML gives for a fault."""

    _HEADER = re.compile(r"\s*\[\s*([^\[\]]+?)\s*\]\s*(?:#.*)?$")
    _KEY = re.compile(
        r"\s*((?:\"(?:[^\"\\]|\\.)*\"|'[^']*'|[A-Za-z0-9_-]+)(?:\s*\.\s*(?:\"(?:[^\"\\]|\\.)*\"|'[^']*'|[A-Za-z0-9_-]+))*)\s*="
    )
    _PART = re.compile(r"\"((?:[^\"\\]|\\.)*)\"|'([^']*)'|([A-Za-z0-9_-]+)")

    def __init__(self, text: str) -> None:
        self.text = text
        self._index: dict[tuple[str, ...], int] | None = None

    def _parts(self, dotted: str) -> tuple[str, ...]:
        import json

        parts = []
        for m in self._PART.finditer(dotted):
            if m[1] is not None:
                try:
                    parts.append(json.loads(f'"{m[1]}"'))
                except ValueError:
                    parts.append(m[1])
            else:
                parts.append(m[2] if m[2] is not None else m[3])
        return tuple(parts)

    def _build(self) -> dict[tuple[str, ...], int]:
        index: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        depth = 0  # inside a multi-line array: its lines hold no keys
        for number, line in enumerate(self.text.splitlines(), 1):
            if depth == 0:
                header = self._HEADER.match(line)
                if header:
                    table = self._parts(header[1])
                    index.setdefault(table, number)
                    continue
                key = self._KEY.match(line)
                if key:
                    index.setdefault((*table, *self._parts(key[1])), number)
            code = line.split("#", 1)[0] if '"' not in line and "'" not in line else line
            depth = max(0, depth + code.count("[") - code.count("]"))
        return index

    def of(self, *path: str) -> int | None:
        """The line of a table or key, else of the nearest enclosing one."""
        if self._index is None:
            self._index = self._build()
        while path:
            found = self._index.get(path)
            if found is not None:
                return found
            path = path[:-1]
        return None


class _Checker:
    def __init__(self, source: str, lines: _Lines, known_emails: frozenset[str]) -> None:
        self.source = source
        self.lines = lines
        self.known = known_emails
        # Agencies repeat the same profiles in every account: judge each text, preset
        # and permission list once (a 10,000-account file has 40,000 profiles).
        self._texts: dict[tuple[str, str], str] = {}
        self._perms: dict[tuple[str, ...], frozenset[str]] = {}
        self._presets: dict[str, Any] = {}
        self._slugs: set[str] = set()  # profile names already judged valid

    def fail(self, path: tuple[str, ...], message: str, hint: str | None = None) -> Invalid:
        where = at_line(self.source, self.lines.of(*path))
        return Invalid(f"{where}: {shown(message)}", hint=hint)

    def wrap(self, path: tuple[str, ...], exc: ColabError) -> Invalid:
        return self.fail(path, exc.message, exc.hint)

    def team(self, data: dict[str, Any]) -> TeamFile:
        version = data.get("version")
        if version != VERSION:
            names = {"version": VERSION, "given": repr(version)}
            raise self.fail(
                ("version",),
                _("`version` must be %(version)s") % names
                if version is None
                else _("`version` must be %(version)s, not %(given)s") % names,
                hint=_("begin the file with `version = 1`"),
            )
        unknown = [k for k in data if k not in ("version", "accounts")]
        if unknown:
            raise self.fail(
                (unknown[0],),
                _("unknown key %(key)s") % {"key": quoted(unknown[0])},
                _("top-level keys: %(keys)s") % {"keys": "version, accounts"},
            )
        accounts = data.get("accounts", {})
        if not isinstance(accounts, dict):
            raise self.fail(
                ("accounts",), _("`accounts` must be a table of [accounts.SLUG] tables")
            )
        return TeamFile(
            self.source, [self.account(slug, body) for slug, body in accounts.items()], self.lines
        )

    def named(
        self, path: tuple[str, ...], name: str, what: str, body: Any, keys: tuple[str, ...]
    ) -> None:
        """A table named by a slug (WHAT: "account slug", "profile name"), holding only KEYS."""
        try:
            validate_slug(name, what=what)
        except Invalid as exc:
            raise self.wrap(path, exc) from exc
        if not isinstance(body, dict):
            raise self.fail(path, _("%(key)s must be a table") % {"key": ".".join(path)})
        self.only(path, body, keys)

    def account(self, slug: str, body: Any) -> AccountSpec:
        path = ("accounts", slug)
        self.named(path, slug, "account slug", body, ACCOUNT_KEYS)
        name = self.text(path, body, "name", what="account name")
        owner = None
        if "owner" in body:
            owner = self.email((*path, "owner"), body["owner"])
        tax = self.tax(path, body.get("tax_id")) if "tax_id" in body else None
        profiles = None
        if "profiles" in body:
            table = self.table((*path, "profiles"), body["profiles"])
            profiles = {n: self.profile((*path, "profiles", n), n, b) for n, b in table.items()}
        collaborators = None
        if "collaborators" in body:
            table = self.table((*path, "collaborators"), body["collaborators"])
            members: dict[str, MemberSpec] = {}
            owner_key = email_key(owner) if owner is not None else None
            for address, value in table.items():
                member = self.member((*path, "collaborators", address), address, value)
                if member.key == owner_key:
                    raise self.fail(
                        (*path, "collaborators", address),
                        _("%(email)s owns %(account)s: the owner is not a collaborator")
                        % {"email": member.email, "account": slug},
                        hint=_("the owner holds every permission; remove that line"),
                    )
                if member.key in members:
                    raise self.fail(
                        (*path, "collaborators", address),
                        _(
                            "%(email)s is listed twice in %(account)s (also as %(other)s):"
                            " one line per person"
                        )
                        % {
                            "email": member.email,
                            "account": slug,
                            "other": members[member.key].email,
                        },
                    )
                members[member.key] = member
            collaborators = members
        return AccountSpec(slug, name, owner, tax, profiles, collaborators, path)

    def only(self, path: tuple[str, ...], body: dict[str, Any], keys: tuple[str, ...]) -> None:
        for key in body:
            if key not in keys:
                raise self.fail(
                    (*path, key),
                    _("unknown key %(key)s in %(table)s")
                    % {"key": quoted(key), "table": ".".join(path)},
                    _("keys: %(keys)s") % {"keys": ", ".join(keys)},
                )

    def table(self, path: tuple[str, ...], value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, _("`%(key)s` must be a table") % {"key": path[-1]})
        return value

    def text(
        self, path: tuple[str, ...], body: dict[str, Any], key: str, *, what: str
    ) -> str | None:
        if key not in body:
            return None
        value = body[key]
        if not isinstance(value, str):
            raise self.fail((*path, key), _("`%(key)s` must be a string") % {"key": key})
        found = self._texts.get((value, what))
        if found is not None:
            return found
        try:
            found = self._texts[(value, what)] = clean_text(value, what=what)
        except Invalid as exc:
            raise self.wrap((*path, key), exc) from exc
        return found

    def email(self, path: tuple[str, ...], value: Any) -> str:
        if not isinstance(value, str):
            raise self.fail(
                path, _("`%(key)s` must be an email address (a string)") % {"key": path[-1]}
            )
        if value in self.known:
            return value
        try:
            return normalize_email_fast(value)
        except Invalid as exc:
            raise self.wrap(path, exc) from exc

    def tax(self, path: tuple[str, ...], value: Any) -> tuple[str, str]:
        try:
            return tax_id(value)
        except Invalid as exc:
            raise self.wrap((*path, "tax_id"), exc) from exc

    def profile(self, path: tuple[str, ...], name: str, body: Any) -> ProfileSpec:
        self.named(path, name, "profile name", body, PROFILE_KEYS)
        from colabctl.core.presets import Preset, find_preset

        preset: Preset | None = None
        if "preset" in body:
            if not isinstance(body["preset"], str):
                raise self.fail((*path, "preset"), _("`preset` must be a preset's name"))
            try:
                preset = self._presets.get(body["preset"])
                if preset is None:
                    preset = self._presets[body["preset"]] = find_preset(body["preset"])
            except ColabError as exc:
                raise Invalid(
                    self.fail((*path, "preset"), exc.message).message, hint=exc.hint
                ) from exc
        refs = body.get("permissions", [])
        ids = set(preset.permissions if preset else ())
        resolved = self._perms.get(tuple(refs)) if isinstance(refs, list) else None
        if resolved is None:
            try:
                resolved = self._perms[tuple(refs)] = permission_ids(refs)
            except Invalid as exc:
                raise self.wrap((*path, "permissions"), exc) from exc
        ids |= resolved
        if not ids:
            raise self.fail(
                path,
                _("profile %(profile)s has no permissions") % {"profile": name},
                _("give `preset` or `permissions`"),
            )
        # a preset's description in the language the command runs in (docs/i18n.md)
        description = preset.description_in(language()) if preset is not None else ""
        own: frozenset[str] = frozenset()
        if "description" in body:
            description = self.description((*path, "description"), body["description"])
        elif preset is not None:
            own = frozenset({preset.description, *preset.descriptions.values()})
        return ProfileSpec(
            name,
            _in_catalog_order(frozenset(ids)),
            description,
            dict(preset.title) if preset and preset.title else None,
            preset.name if preset else None,
            path,
            own,
        )

    def description(self, path: tuple[str, ...], value: Any) -> str:
        key = (value, "description") if isinstance(value, str) else None
        found = self._texts.get(key) if key else None
        if found is None:
            try:
                found = description(value)
            except Invalid as exc:
                raise self.wrap(path, exc) from exc
            if key:
                self._texts[key] = found
        return found

    def member(self, path: tuple[str, ...], address: str, value: Any) -> MemberSpec:
        email = self.email(path, address)
        access_until = None
        expires_in = DEFAULT_EXPIRY
        if isinstance(value, str):
            profile = value
        elif isinstance(value, dict):
            self.only(path, value, MEMBER_KEYS)
            profile = value.get("profile")  # type: ignore[assignment]
            if "access_until" in value:
                access_until = self.until(path, value["access_until"])
            if "expires_in" in value:
                if not isinstance(value["expires_in"], str):
                    raise self.fail(path, _('`expires_in` must be a duration such as "48h"'))
                try:
                    expires_in = parse_duration(value["expires_in"])
                except Invalid as exc:
                    raise self.wrap(path, exc) from exc
        else:
            raise self.fail(
                path,
                _('%(email)s: give a profile name or { profile = "NAME", ... }') % {"email": email},
            )
        if not isinstance(profile, str):
            raise self.fail(
                path, _("%(email)s: `profile` must be a profile's name") % {"email": email}
            )
        if profile not in self._slugs:
            try:
                validate_slug(profile, what="profile name")
            except Invalid as exc:
                raise self.wrap(path, exc) from exc
            self._slugs.add(profile)
        return MemberSpec(email, email_key(email), profile, access_until, expires_in, path)

    def until(self, path: tuple[str, ...], value: Any) -> str:
        if isinstance(value, datetime):
            moment = value if value.tzinfo else value.replace(tzinfo=UTC)
            return iso(moment)
        if isinstance(value, date):
            return iso(datetime.combine(value, time(23, 59, 59), tzinfo=UTC))
        if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*[smhd]\s*", value):
            raise self.fail(
                path,
                _("access_until %(value)s is a duration: a team file takes a date")
                % {"value": quoted(value)},
                hint=_("a plan must settle: write a TOML date (2027-03-31) or date-time"),
            )
        raise self.fail(
            path, _("`access_until` must be a TOML date (2027-03-31) or date-time, unquoted")
        )


@cache
def _in_catalog_order(ids: frozenset[str]) -> tuple[str, ...]:
    return tuple(catalog().ordered(ids))
