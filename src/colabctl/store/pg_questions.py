"""The questions about the whole store that colabctl's commands ask, on a PostgreSQL
server: each goes to a narrow function of the server's (store/pg_security.py), which
answers it and nothing more, since a bound team login reads only its own rows
(docs/postgres.md, "Questions about the whole store"). store/questions.py asks the same
of a SQLite file with plain queries; store/db.Store and store/postgres.PgStore answer
alike, so core asks without knowing the engine. Also what `store bind` grants and
`store unbind` takes back.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any


class ServerQuestions:
    """What store/postgres.PgStore answers through the server's functions."""

    # its store/postgres.Connection (typed loosely here: that module imports this one);
    # the functions are PostgreSQL's own, so they go through `native`, not the translator
    conn: Any

    def slug_taken(self, slug: str) -> bool:
        return bool(self.conn.native("SELECT colabctl_slug_taken($1)", (slug,)).fetchone()[0])

    def registered(self, emails: Collection[str]) -> set[str]:
        found = self.conn.native("SELECT * FROM colabctl_registered($1)", (list(emails),))
        return {row[0] for row in found}

    def lookalikes(self, new: Sequence[tuple[str, str]]) -> set[str]:
        found = self.conn.native(
            "SELECT * FROM colabctl_lookalikes($1, $2)",
            ([shape for shape, _ in new], [key for _, key in new]),
        )
        return {row[0] for row in found}

    def user_ids(self, keys: Collection[str]) -> dict[str, int]:
        found = self.conn.native("SELECT * FROM colabctl_user_ids($1)", (list(keys),))
        return {row[0]: int(row[1]) for row in found}

    def next_ids(self, *tables: str) -> tuple[int, ...]:
        # one statement for them all (it runs under the writer lock)
        calls = ", ".join(f"colabctl_next_id(${n})" for n in range(1, len(tables) + 1))
        return tuple(int(value) for value in self.conn.native(f"SELECT {calls}", tables).fetchone())

    def add_invitees(
        self, users: Sequence[tuple[Any, ...]], members: Sequence[tuple[Any, ...]]
    ) -> None:
        """New USERS (id, email, key, skeleton, created_at), each registered together with
        its invitation among MEMBERS (id, account, user, profile, inviter, invited_at,
        expires_at, access_until), through colabctl_add_invitees(); the other invitations
        (of registered users) as plain inserts, which the policies judge."""
        import json

        from colabctl.store.questions import INSERT_MEMBERS

        new = {user[0]: user for user in users}
        together = [_invitee(new[member[2]], member) for member in members if member[2] in new]
        if together:
            self.conn.native("SELECT colabctl_add_invitees($1::json)", (json.dumps(together),))
        self.conn.executemany(INSERT_MEMBERS, [m for m in members if m[2] not in new])

    def grant(self, login: str) -> None:
        """`store bind`: LOGIN gets what its user needs (store/pg_security.py)."""
        from colabctl.store import pg_security

        self._run(pg_security.grant_statements(login, self._schema()))

    def revoke(self, login: str) -> None:
        """`store unbind`: every privilege LOGIN held on the store, taken back."""
        from colabctl.store import pg_security

        self._run(pg_security.revoke_statements(login, self._schema()))

    def _schema(self) -> str:
        return str(self.conn.native("SELECT current_schema()").fetchone()[0])

    def _run(self, statements: Sequence[Any]) -> None:
        try:
            for statement in statements:
                self.conn.raw.execute(statement)
        except Exception as exc:
            self.conn._fail(exc)


def _invitee(user: tuple[Any, ...], member: tuple[Any, ...]) -> dict[str, Any]:
    """A new user and its invitation, as colabctl_add_invitees() reads them."""
    user_id, email, email_key, skeleton, created_at = user
    member_id, account_id, _, profile_id, inviter, invited_at, expires_at, until = member
    return {
        "user_id": user_id,
        "email": email,
        "email_key": email_key,
        "skeleton": skeleton,
        "created_at": created_at,
        "id": member_id,
        "account_id": account_id,
        "profile_id": profile_id,
        "invited_by": inviter,
        "invited_at": invited_at,
        "expires_at": expires_at,
        "access_until": until,
    }
