"""The `bound` engine: the command-level suites on a PostgreSQL store where every actor is
a bound team login (docs/postgres.md, "What each login may do"). colabctl must need
nothing more than what `store bind` grants: whatever a test runs as a registered user,
it runs connected as that user's own login, so any refusal by the server that the
SQLite store would not make fails the test, and the answers must be SQLite's.

The store is the test's PostgreSQL schema, built and owned by the superuser (the store
owner). `BoundCli` routes each command line: it finds the actor the line names (`--as`,
$COLABCTL_USER, the logged-in user of the test's config; for `login EMAIL`, EMAIL), and
if that user is registered, runs the line connected as their login, created on first
use (`CREATE ROLE ... LOGIN`) and bound with `store bind` by the store owner. Everything
else stays with the store owner: lines with no registered actor (a stranger gets what a
stranger gets, on either engine), whole-store work (`audit verify`, `store copy`,
`store bind`), and lines that name their own `--db`. The logins are dropped after the
test.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from support import Cli, FakeClock
from typer.testing import Result

from colabctl.core import bindings
from colabctl.core.identity import email_key
from colabctl.core.session import Context

_VALUED = {"--as", "--db", "--lang"}  # root options that take a value
# whole-store work: the store owner's (docs/postgres.md)
_OWNER_WORK = {("audit", "verify"), ("store", "copy"), ("store", "bind"), ("store", "unbind")}
PASSWORD = "bound-login-pw"


def _words(args: tuple[str, ...]) -> tuple[dict[str, str], list[str]]:
    """The root options given (--as, --db, --lang) and the words after them."""
    options: dict[str, str] = {}
    rest = list(args)
    while rest and rest[0].startswith("--"):
        word = rest.pop(0)
        name, _, value = word.partition("=")
        if name in _VALUED:
            options[name] = value if value else (rest.pop(0) if rest else "")
    return options, rest


@dataclass
class BoundCli(Cli):
    """`Cli` on the bound engine: each line runs as its actor's own bound login."""

    url: str = ""  # the store owner's (the superuser's) URL to the test's schema
    admin: Any = None  # a superuser connection (autocommit) to the test database
    schema: str = ""
    clock: FakeClock = field(default_factory=FakeClock)
    logins: dict[str, str] = field(default_factory=dict)  # email key -> login

    def __call__(
        self, *args: str, input: str | None = None, env: dict[str, str] | None = None
    ) -> Result:
        # everyone registered so far is bound before the line runs: a binding written
        # in the middle of what a test measures would be in its way
        self.bind_everyone()
        url = self._route(args, env or {})
        if url is not None:
            env = {**(env or {}), "COLABCTL_DB": url}
        return super().__call__(*args, input=input, env=env)

    def _route(self, args: tuple[str, ...], env: Mapping[str, str]) -> str | None:
        options, words = _words(args)
        if "--db" in options or "COLABCTL_DB" in env or tuple(words[:2]) in _OWNER_WORK:
            return None
        if words[:1] == ["login"] and len(words) > 1:
            actor: str | None = words[1]
        else:
            actor = options.get("--as") or env.get("COLABCTL_USER") or _env_user(env)
        login = self._login_of(actor) if actor else None
        if login is None:
            return None
        scheme, rest = self.url.split("://", 1)
        return f"{scheme}://{login}:{PASSWORD}@{rest.split('@', 1)[1]}"

    def _login_of(self, email: str) -> str | None:
        """ACTOR's bound login, created and bound on first use; None for no user."""
        key = email_key(email)
        if key in self.logins:
            return self.logins[key]
        if not self._registered(key):
            return None
        login = f"bd_{self.schema[-8:]}_{len(self.logins)}_{secrets.token_hex(2)}"
        self.admin.execute(f"CREATE ROLE {login} LOGIN PASSWORD '{PASSWORD}'")
        self.logins[key] = login
        found = self._email(key)
        bindings.bind(Context(db=self.url, actor=None, clock=self.clock), login, found)
        return login

    def bind_everyone(self) -> None:
        """Every registered user's login, bound now (before each line, and before a test
        reads the store itself: `support.BEFORE_READ`), so that no binding is written in
        the middle of what a test measures."""
        if not self._has_tables():
            return
        for (key,) in self.admin.execute(
            f"SELECT email_key FROM {self.schema}.users ORDER BY id"
        ).fetchall():
            self._login_of(key)

    def _registered(self, key: str) -> bool:
        return self._email(key) is not None

    def _email(self, key: str) -> Any:
        if not self._has_tables():
            return None
        row = self.admin.execute(
            f"SELECT email FROM {self.schema}.users WHERE email_key = %s", (key,)
        ).fetchone()
        return row[0] if row else None

    def _has_tables(self) -> bool:
        found = self.admin.execute("SELECT to_regclass(%s)", (f"{self.schema}.users",)).fetchone()
        return found is not None and found[0] is not None

    def drop(self) -> None:
        """The logins, gone (their privileges first)."""
        for login in self.logins.values():
            self.admin.execute(f"DROP OWNED BY {login}")
            self.admin.execute(f"DROP ROLE {login}")
        self.logins.clear()


def _env_user(env: Mapping[str, str]) -> str | None:
    """The logged-in user of the config the line will read."""
    user = env.get("COLABCTL_USER") or os.environ.get("COLABCTL_USER")
    if user:
        return user
    path = env.get("COLABCTL_CONFIG") or os.environ.get("COLABCTL_CONFIG")
    if not path or not Path(path).is_file():
        return None
    try:
        with open(path, "rb") as handle:
            found = tomllib.load(handle).get("user")
    except (OSError, tomllib.TOMLDecodeError):
        return None
    return found if isinstance(found, str) else None
