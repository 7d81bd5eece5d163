"""core/users.py: logging in (registering on first use, the config naming who is logged
in), logging out, `use` (the acting user's current account: one they own or work for)
and `whoami` (my accounts and invitations; my role and what it lets me do)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from support import ACME, BEA, BOB, CAIO, OWNER, ZED, FakeClock, audit_trail, dump, preset_ids

from colabctl.core import collaborators, users
from colabctl.core.catalog import catalog
from colabctl.core.config import current_account, read_config
from colabctl.core.session import Context
from colabctl.errors import Forbidden, Invalid, NotFound
from colabctl.store.engine import Target

pytestmark = pytest.mark.engines("sqlite", "postgres")

As = Callable[[str | None], Context]


def test_login_registers_once_and_remembers_who(acme_db: Target, ctx_as: As) -> None:
    user, created = users.login(ctx_as(None), "Zed@EXAMPLE.com", name=" Zed ")
    assert (user.email, user.name, created) == ("Zed@example.com", "Zed", True)
    assert read_config()["user"] == "Zed@example.com"
    again, created = users.login(ctx_as(None), "zed@example.com")
    assert (again.id, created) == (user.id, False)
    users.login(ctx_as(None), "zed@example.com", name="Zed Z.")
    assert [
        r for r in audit_trail(acme_db, "action", "target", "details") if r[0].startswith("user.")
    ][-2:] == [
        ("user.create", "Zed@example.com", {"name": "Zed"}),
        ("user.rename", "Zed@example.com", {"name": "Zed Z."}),
    ]


def test_a_bad_address_or_name_registers_nobody(acme_db: Target, ctx_as: As) -> None:
    before = dump(acme_db)
    with pytest.raises(Invalid, match="is not a valid email address"):
        users.login(ctx_as(None), "zed")
    with pytest.raises(Invalid, match="contains a control character"):
        users.register(ctx_as(None), ZED, name="Zed\u202e")
    assert dump(acme_db) == before
    assert read_config() == {}


def test_logout_forgets_the_user_and_their_current_account(acme_db: Target, ctx_as: As) -> None:
    assert users.logout() is None  # nobody was logged in
    users.login(ctx_as(None), OWNER)
    users.use(ctx_as(None), ACME)
    assert current_account(read_config(), OWNER) == ACME
    assert users.logout() == OWNER
    assert read_config() == {"current": {}}


def test_use_takes_an_account_one_owns_or_works_for(acme_db: Target, ctx_as: As) -> None:
    assert users.use(ctx_as(BOB), ACME) == "soporte"
    assert current_account(read_config(), BOB) == ACME
    collaborators.invite(ctx_as(OWNER), BEA, profile="tecnico", account=ACME)
    with pytest.raises(Forbidden) as pending:
        users.use(ctx_as(BEA), ACME)
    assert pending.value.message == f"you have no role in {ACME} (your invitation is pending)"
    assert pending.value.hint == f"accept it with `colabctl accept {ACME}`"
    users.register(ctx_as(None), ZED)
    with pytest.raises(NotFound):
        users.use(ctx_as(ZED), ACME)
    assert current_account(read_config(), BEA) is None


def test_ended_access_says_when_it_ended(acme_db: Target, ctx_as: As, clock: FakeClock) -> None:
    collaborators.set_access_until(ctx_as(OWNER), BOB, "1h", account=ACME)
    clock.advance(hours=2)
    with pytest.raises(Forbidden) as ended:
        users.whoami_at(ctx_as(BOB), ACME)
    assert ended.value.message.startswith(f"you have no role in {ACME}: your access ended on ")
    assert (
        ended.value.hint == "ask the owner to extend it (`colabctl collaborator set-access-until`)"
    )


def test_whoami_lists_my_accounts_and_invitations(acme_db: Target, ctx_as: As) -> None:
    collaborators.set_access_until(ctx_as(OWNER), BOB, "2027-03-31", account=ACME)
    collaborators.invite(ctx_as(OWNER), CAIO, profile="tecnico", account=ACME)
    bob = users.whoami(ctx_as(BOB)).as_json()
    assert bob["user"] == BOB and bob["invitations"] == []
    assert bob["accounts"] == [
        {
            "slug": ACME,
            "name": "Acme Cursos",
            "role": "soporte",
            "current": False,
            "access_until": "2027-03-31T23:59:59Z",
        }
    ]
    caio = users.whoami(ctx_as(CAIO))
    assert caio.accounts == []
    assert [(i.account, i.profile, i.invited_by) for i in caio.invitations] == [
        (ACME, "tecnico", OWNER)
    ]


def test_whoami_in_an_account_is_my_role_and_what_it_allows(acme_db: Target, ctx_as: As) -> None:
    assert users.whoami_at(ctx_as(BOB), ACME).as_json() == {
        "user": BOB,
        "account": ACME,
        "role": "soporte",
        "permissions": preset_ids("soporte"),
    }
    owner = users.whoami_at(ctx_as(OWNER), ACME)
    assert (owner.role, len(owner.permissions)) == ("owner", len(catalog().permissions))
