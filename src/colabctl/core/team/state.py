"""Reading the store in bulk: what a plan needs of the accounts a file names, in a few
queries for all of them (never one per person)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import NamedTuple

from colabctl.core.session import ACCOUNT_SQL, STATUS_SQL, Account, Session
from colabctl.core.team.file import TeamFile, parse_team_file


class Member(NamedTuple):
    email: str
    status: str  # effective (an expired pending reads as expired)
    profile: str | None
    invited_at: str
    expires_at: str
    ended_at: str | None
    access_until: str | None


class Profile(NamedTuple):
    id: int
    description: str
    permissions: frozenset[str]


class State:
    """What the plan needs of the accounts a file names: a few queries in all."""

    def __init__(self, s: Session, slugs: Sequence[str]) -> None:
        self.accounts: dict[str, Account] = {}
        rows = s.conn.execute(
            f"{ACCOUNT_SQL} WHERE a.slug IN (SELECT value FROM json_each(?))",
            (json.dumps(list(slugs)),),
        )
        for row in rows:
            self.accounts[row[1]] = Account.of_row(row)
        ids = json.dumps([a.id for a in self.accounts.values()])
        self.profiles: dict[int, dict[str, Profile]] = {a.id: {} for a in self.accounts.values()}
        perms: dict[int, set[str]] = {}
        for profile_id, permission in s.conn.execute(
            "SELECT pp.profile_id, pp.permission FROM profile_permissions pp"
            " JOIN profiles p ON p.id = pp.profile_id"
            " WHERE p.account_id IN (SELECT CAST(value AS INTEGER) FROM json_each(?))",
            (ids,),
        ):
            perms.setdefault(profile_id, set()).add(permission)
        for profile_id, account_id, name, description in s.conn.execute(
            "SELECT id, account_id, name, description FROM profiles"
            " WHERE account_id IN (SELECT CAST(value AS INTEGER) FROM json_each(?))",
            (ids,),
        ):
            self.profiles[account_id][name] = Profile(
                profile_id, description, frozenset(perms.get(profile_id, ()))
            )
        # The membership that speaks for each (account, person): the live one, else the
        # latest (session.current_membership_sql, in one pass over the rows by id).
        self.members: dict[int, dict[str, Member]] = {a.id: {} for a in self.accounts.values()}
        live: set[tuple[int, str]] = set()
        for account_id, email, key, raw, status, profile, *dates in s.conn.execute(
            f"SELECT m.account_id, u.email, u.email_key, m.status, {STATUS_SQL}, p.name,"
            " m.invited_at, m.expires_at, m.ended_at, m.access_until FROM memberships m"
            " JOIN users u ON u.id = m.user_id LEFT JOIN profiles p ON p.id = m.profile_id"
            " WHERE m.account_id IN (SELECT CAST(value AS INTEGER) FROM json_each(:ids))"
            " ORDER BY m.id",
            {"ids": ids, "now": s.now_iso},
        ):
            if (account_id, key) in live:
                continue
            if raw in ("pending", "active"):
                live.add((account_id, key))
            self.members[account_id][key] = Member(email, status, profile, *dates)


def _stored_emails(s: Session) -> Callable[[set[str]], set[str]]:
    def stored(candidates: set[str]) -> set[str]:
        # a question about the whole store: which of these addresses are registered
        return s.store.registered(candidates) if candidates else set()

    return stored


def read(s: Session, raw: bytes, source: str) -> TeamFile:
    """Parse and validate a team file, with the store at hand for its known addresses."""
    return parse_team_file(raw, source, stored=_stored_emails(s))
