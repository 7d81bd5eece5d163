"""core/bindings.py: `store bind` and `store unbind` tie a database login to one user of
a store on a PostgreSQL server; only the login that owns colabctl's tables may, each is
an audit row; a SQLite file has no logins to bind."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from support import BEA, BOB, OWNER, audit_trail, dump

from colabctl.core import bindings
from colabctl.core.session import Context
from colabctl.errors import Conflict, Invalid, NotFound
from colabctl.store.engine import Target

As = Callable[[str | None], Context]


@pytest.fixture
def login(pg_admin: Any) -> Iterator[str]:
    """A database login of its own on the test's server (roles are the server's, so its
    name is made unique), granted nothing; dropped afterwards."""
    name = f"bound_{secrets.token_hex(4)}"
    pg_admin.execute(f"CREATE ROLE {name} LOGIN")
    yield name
    pg_admin.execute(f"DROP OWNED BY {name}")
    pg_admin.execute(f"DROP ROLE {name}")


@pytest.mark.engines("sqlite")
def test_a_sqlite_file_has_no_logins_to_bind(acme_db: Target, ctx_as: As) -> None:
    before = dump(acme_db)
    for verb, call in (
        ("bind", lambda: bindings.bind(ctx_as(OWNER), "someone", BOB)),
        ("unbind", lambda: bindings.unbind(ctx_as(OWNER), "someone")),
    ):
        with pytest.raises(Invalid) as caught:
            call()
        assert caught.value.message == (
            f"store {verb} needs a store on a PostgreSQL server: a SQLite file has no database"
            " logins (whoever can open the file is trusted)"
        )
        assert caught.value.hint == "docs/postgres.md, 'Who really acted'"
    assert dump(acme_db) == before


@pytest.mark.engines("postgres")
def test_a_login_is_bound_once_to_one_user(acme_db: Target, ctx_as: As, login: str) -> None:
    assert bindings.bind(ctx_as(OWNER), login, BOB) is True
    assert bindings.bind(ctx_as(OWNER), login, "BOB.COSTA@example.com") is False  # the same
    with pytest.raises(Conflict) as other:
        bindings.bind(ctx_as(OWNER), login, OWNER)
    assert other.value.message == f"the database login {login} is already bound to {BOB}"
    assert other.value.hint == f"`colabctl store unbind {login}` first"
    assert bindings.unbind(ctx_as(OWNER), login) == BOB
    with pytest.raises(NotFound) as again:
        bindings.unbind(ctx_as(OWNER), login)
    assert again.value.message == f"the database login {login} is not bound to anyone"
    assert [r for r in audit_trail(acme_db, "action", "target", "details") if r[1] == login] == [
        ("store.bind", login, {"user": BOB}),
        ("store.unbind", login, {"user": BOB}),
    ]


@pytest.mark.engines("postgres")
def test_only_a_real_login_and_a_registered_user_are_bound(
    acme_db: Target, ctx_as: As, login: str
) -> None:
    before = dump(acme_db)
    with pytest.raises(NotFound) as no_login:
        bindings.bind(ctx_as(OWNER), "nobody_at_all", BOB)
    assert no_login.value.message == "no database login 'nobody_at_all' on this server"
    with pytest.raises(NotFound) as no_user:
        bindings.bind(ctx_as(OWNER), login, BEA)
    assert no_user.value.message == f"{BEA} is not a registered user"
    assert dump(acme_db) == before
