"""What the tables hold, in the shape of the state the audit log describes
(store/replay.State), so that `audit verify` can hold one against the other and
migration m009 can write it down as a checkpoint.

Read with one query per table, in SQL both engines run alike. References go through
LEFT JOINs: a row whose user, account or profile is gone (a hand edit with foreign keys
off) is still read, under a name that says so (`#users:7`), rather than dropped.
"""

from __future__ import annotations

from typing import Any

from colabctl.store.replay import State, tax_digest
from colabctl.store.sql import Connection


def _ref(table: str, row_id: Any, value: Any) -> Any:
    """VALUE, or a placeholder naming the missing row ROW_ID of TABLE."""
    return value if value is not None or row_id is None else f"#{table}:{row_id}"


def read_state(conn: Connection) -> State:
    """The state the tables hold, read in the caller's snapshot or transaction."""
    state = State()
    for key, email, name in conn.execute("SELECT email_key, email, name FROM users"):
        state.users[key] = [email, name]
    for slug, name, owner_id, owner, country, number in conn.execute(
        "SELECT a.slug, a.name, a.owner_id, u.email_key, a.tax_country, a.tax_id"
        " FROM accounts a LEFT JOIN users u ON u.id = a.owner_id"
    ):
        state.accounts[slug] = [name, _ref("users", owner_id, owner), country]
        state.accounts[slug].append(tax_digest(country, number))
    _read_profiles(conn, state)
    _read_members(conn, state)
    _read_transfers(conn, state)
    for login, user_id, key in conn.execute(
        "SELECT b.login, b.user_id, u.email_key FROM store_bindings b"
        " LEFT JOIN users u ON u.id = b.user_id"
    ):
        state.bindings[login] = _ref("users", user_id, key)
    for account_id, slug, finding, fingerprint, actor, reason in conn.execute(
        "SELECT k.account_id, a.slug, k.finding, k.fingerprint, k.actor, k.reason"
        " FROM review_acks k LEFT JOIN accounts a ON a.id = k.account_id ORDER BY k.id"
    ):
        acks = state.acks.setdefault(_ref("accounts", account_id, slug), [])
        acks.append((finding, fingerprint, actor, reason))
    return state


def _read_profiles(conn: Connection, state: State) -> None:
    by_id: dict[Any, list[Any]] = {}
    for profile_id, account_id, slug, name, description in conn.execute(
        "SELECT p.id, p.account_id, a.slug, p.name, p.description"
        " FROM profiles p LEFT JOIN accounts a ON a.id = p.account_id"
    ):
        profile: list[Any] = [description, set()]
        state.profiles.setdefault(_ref("accounts", account_id, slug), {})[name] = profile
        by_id[profile_id] = profile
    for profile_id, permission in conn.execute(
        "SELECT profile_id, permission FROM profile_permissions"
    ):
        held = by_id.get(profile_id)
        if held is not None:  # (a permission of no profile is held by nobody)
            held[1].add(permission)


def _read_members(conn: Connection, state: State) -> None:
    for account_id, slug, user_id, key, profile_id, profile, status, expires, until in conn.execute(
        "SELECT m.account_id, a.slug, m.user_id, u.email_key, m.profile_id, p.name,"
        " m.status, m.expires_at, m.access_until FROM memberships m"
        " LEFT JOIN accounts a ON a.id = m.account_id"
        " LEFT JOIN users u ON u.id = m.user_id"
        " LEFT JOIN profiles p ON p.id = m.profile_id ORDER BY m.id"
    ):
        people = state.members.setdefault(_ref("accounts", account_id, slug), {})
        history = people.setdefault(_ref("users", user_id, key), [])
        history.append([_ref("profiles", profile_id, profile), status, expires, until])


def _read_transfers(conn: Connection, state: State) -> None:
    for (
        account_id,
        slug,
        from_id,
        sender,
        to_id,
        recipient,
        keep_as,
        status,
        expires,
    ) in conn.execute(
        "SELECT t.account_id, a.slug, t.from_id, f.email_key, t.to_id, r.email_key,"
        " t.keep_as, t.status, t.expires_at FROM transfers t"
        " LEFT JOIN accounts a ON a.id = t.account_id"
        " LEFT JOIN users f ON f.id = t.from_id LEFT JOIN users r ON r.id = t.to_id"
        " ORDER BY t.id"
    ):
        offers = state.transfers.setdefault(_ref("accounts", account_id, slug), [])
        parties = [_ref("users", from_id, sender), _ref("users", to_id, recipient)]
        offers.append([*parties, keep_as, status, expires])
