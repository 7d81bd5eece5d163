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

    # its store/postgres.Connection (typed loosely here: that module imports this one)
    conn: Any

    def slug_taken(self, slug: str) -> bool:
        return bool(self.conn.execute("SELECT colabctl_slug_taken(?)", (slug,)).fetchone()[0])

    def registered(self, emails: Collection[str]) -> set[str]:
        found = self.conn.execute("SELECT * FROM colabctl_registered(?)", (list(emails),))
        return {row[0] for row in found}

    def lookalikes(self, new: Sequence[tuple[str, str]]) -> set[str]:
        found = self.conn.execute(
            "SELECT * FROM colabctl_lookalikes(?, ?)",
            ([shape for shape, _ in new], [key for _, key in new]),
        )
        return {row[0] for row in found}

    def user_ids(self, keys: Collection[str]) -> dict[str, int]:
        found = self.conn.execute("SELECT * FROM colabctl_user_ids(?)", (list(keys),))
        return {row[0]: int(row[1]) for row in found}

    def next_id(self, table: str) -> int:
        return int(self.conn.execute("SELECT colabctl_next_id(?)", (table,)).fetchone()[0])

    def add_invitees(
        self, users: Sequence[tuple[Any, ...]], members: Sequence[tuple[Any, ...]]
    ) -> None:
        from colabctl.store import pg_security

        pg_security.add_invitees(self.conn, users, members)

    def grant(self, login: str) -> None:
        """`store bind`: LOGIN gets what its user needs (store/pg_security.py)."""
        from colabctl.store import pg_security

        self._run(pg_security.grant_statements(login, self._schema()))

    def revoke(self, login: str) -> None:
        """`store unbind`: every privilege LOGIN held on the store, taken back."""
        from colabctl.store import pg_security

        self._run(pg_security.revoke_statements(login, self._schema()))

    def _schema(self) -> str:
        return str(self.conn.execute("SELECT current_schema()").fetchone()[0])

    def _run(self, statements: Sequence[Any]) -> None:
        try:
            for statement in statements:
                self.conn.raw.execute(statement)
        except Exception as exc:
            self.conn._fail(exc)
