"""What the tables hold, in the shape of the state the audit log describes
(store/replay.State), so that `audit verify` can hold one against the other and
migration m009 can write it down as a checkpoint.

Read with one plain query per table, in SQL both engines run alike; ids are named
through maps of the rows already read (faster than joins on 100,000 memberships). A row
whose user, account or profile is gone (a hand edit with foreign keys off) is still
read, under a name that says so (`#users:7`), rather than dropped.
"""

from __future__ import annotations

from typing import Any

from colabctl.store.replay import State, tax_digest
from colabctl.store.sql import Connection


def read_state(conn: Connection, *, kept_names: bool = True) -> State:
    """The state the tables hold, read in the caller's snapshot or transaction. Without
    KEPT_NAMES, as a store before m011 holds it (no `memberships.profile_name`): for
    migration m009, which runs before m011 adds the column."""
    state = State()
    users = conn.execute("SELECT id, email_key, email, name FROM users").fetchall()
    state.users = {key: (email, name) for _, key, email, name in users}
    keys: dict[Any, str] = {user_id: key for user_id, key, _, _ in users}  # id -> identity key
    del users
    slugs: dict[Any, str] = {}  # account id -> slug
    for account_id, slug, name, owner_id, country, number in conn.execute(
        "SELECT id, slug, name, owner_id, tax_country, tax_id FROM accounts"
    ):
        owner = _ref(keys, "users", owner_id)
        state.accounts[slug] = [name, owner, country, tax_digest(country, number)]
        slugs[account_id] = slug
    names = _read_profiles(conn, state, slugs)
    _read_members(conn, state, slugs, keys, names, "profile_name" if kept_names else "NULL")
    _read_transfers(conn, state, slugs, keys)
    for login, user_id in conn.execute("SELECT login, user_id FROM store_bindings"):
        state.bindings[login] = _ref(keys, "users", user_id)
    for account_id, finding, fingerprint, actor, reason in conn.execute(
        "SELECT account_id, finding, fingerprint, actor, reason FROM review_acks ORDER BY id"
    ):
        acks = state.acks.setdefault(_ref(slugs, "accounts", account_id), [])
        acks.append((finding, fingerprint, actor, reason))
    return state


def _ref(found: dict[Any, str], table: str, row_id: Any) -> str:
    """The name of row ROW_ID of TABLE, or a placeholder saying it is missing."""
    name = found.get(row_id)
    return name if name is not None else f"#{table}:{row_id}"


def _read_profiles(conn: Connection, state: State, slugs: dict[Any, str]) -> dict[Any, str]:
    """Profiles and their permissions into STATE; profile id -> name."""
    by_id: dict[Any, list[Any]] = {}
    names: dict[Any, str] = {}
    for profile_id, account_id, name, description in conn.execute(
        "SELECT id, account_id, name, description FROM profiles"
    ):
        profile: list[Any] = [description, set()]
        state.profiles.setdefault(_ref(slugs, "accounts", account_id), {})[name] = profile
        by_id[profile_id], names[profile_id] = profile, name
    for profile_id, permission in conn.execute(
        "SELECT profile_id, permission FROM profile_permissions"
    ):
        held = by_id.get(profile_id)
        if held is not None:  # (a permission of no profile is held by nobody)
            held[1].add(permission)
    return names


def _read_members(
    conn: Connection,
    state: State,
    slugs: dict[Any, str],
    keys: dict[Any, str],
    names: dict[Any, str],
    kept: str,
) -> None:
    """Memberships into STATE, each person's in id order: one pass over the table (in
    its rowid order), ids named through the maps already read (the hot loop of a big
    store: a row whose account, user or profile is gone takes the slow way). A row
    without a profile is named by the name it keeps (KEPT: the column, or NULL), as the
    log names it (store/replay.py, profile.delete)."""
    people_of = {
        account_id: state.members.setdefault(slug, {}) for account_id, slug in slugs.items()
    }
    profile_of: dict[Any, str | None] = {None: None, **names}
    for row in conn.execute(
        f"SELECT account_id, user_id, profile_id, {kept}, status, expires_at, access_until"
        " FROM memberships ORDER BY id"
    ):
        account_id, user_id, profile_id, name, status, expires, until = row
        try:
            people, key, profile = people_of[account_id], keys[user_id], profile_of[profile_id]
        except KeyError:
            people = state.members.setdefault(_ref(slugs, "accounts", account_id), {})
            key = _ref(keys, "users", user_id)
            profile = None if profile_id is None else _ref(names, "profiles", profile_id)
        if profile_id is None:
            profile = name
        history = people.get(key)
        if history is None:
            people[key] = [[profile, status, expires, until]]
        else:
            history.append([profile, status, expires, until])


def _read_transfers(
    conn: Connection, state: State, slugs: dict[Any, str], keys: dict[Any, str]
) -> None:
    for account_id, from_id, to_id, keep_as, status, expires in conn.execute(
        "SELECT account_id, from_id, to_id, keep_as, status, expires_at FROM transfers ORDER BY id"
    ):
        offers = state.transfers.setdefault(_ref(slugs, "accounts", account_id), [])
        parties = [_ref(keys, "users", from_id), _ref(keys, "users", to_id)]
        offers.append([*parties, keep_as, status, expires])
