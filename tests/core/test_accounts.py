"""core/accounts.py: creating an account (a legal entity with a business tax ID),
registering or changing its tax ID, renaming it, and listing and showing accounts, where
the tax ID is account data only its owner sees."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from support import ACME, BEA, BOB, CNPJ, ES_CIF, OTHER_CNPJ, OWNER, ZED, audit_trail, dump

from colabctl.core import accounts, collaborators, ownership, users
from colabctl.core.session import Context, writing
from colabctl.errors import Conflict, Forbidden, Invalid, NotFound
from colabctl.store.engine import Target

pytestmark = pytest.mark.engines("sqlite", "postgres")

As = Callable[[str | None], Context]


def test_an_account_with_a_tax_id_is_a_legal_entity(acme_db: Target, ctx_as: As) -> None:
    made = accounts.create(ctx_as(BOB), "bobs", "  Bob's Shop ", tax_id=ES_CIF, country="es")
    assert made.as_json() == {
        "slug": "bobs",
        "name": "Bob's Shop",
        "owner": BOB,
        "legal_entity": True,
        "tax_id": ES_CIF,
        "country": "ES",
        "transfer": None,
        "role": "owner",
        "current": False,
    }
    assert audit_trail(acme_db, "action", "target", "details")[-1] == (
        "account.create",
        "bobs",
        {"name": "Bob's Shop", "country": "ES", "tax_id": ES_CIF},
    )
    plain = accounts.create(ctx_as(BOB), "plain", "Plain")
    assert (plain.legal_entity, plain.tax_id, plain.tax_country) == (False, None, None)


@pytest.mark.parametrize(
    ("slug", "name", "tax", "error", "message"),
    [
        (
            "bad slug",
            "N",
            {},
            Invalid,
            'account slug "bad slug" contains " ", which is not allowed',
        ),
        ("good", " ", {}, Invalid, "account name is empty"),
        ("good", "N", {"tax_id": CNPJ}, Invalid, "a tax ID needs both --tax-id and --country"),
        ("good", "N", {"tax_id": "123", "country": "BR"}, Invalid, "CNPJ"),
        (ACME, "Again", {}, Conflict, f'account "{ACME}" already exists'),
    ],
)
def test_an_account_that_cannot_be_is_refused(
    acme_db: Target,
    ctx_as: As,
    slug: str,
    name: str,
    tax: dict[str, str],
    error: type[Exception],
    message: str,
) -> None:
    before = dump(acme_db)
    with pytest.raises(error) as caught:
        accounts.create(ctx_as(BOB), slug, name, **tax)
    assert message in str(getattr(caught.value, "message", ""))
    assert dump(acme_db) == before


def test_the_owner_registers_and_changes_the_tax_id(acme_db: Target, ctx_as: As) -> None:
    accounts.create(ctx_as(OWNER), "plain", "Plain")
    first = accounts.set_tax_id(ctx_as(OWNER), "plain", CNPJ, "BR")
    assert (first.legal_entity, first.tax_id) == (True, CNPJ)
    rows = len(audit_trail(acme_db, "seq"))
    accounts.set_tax_id(ctx_as(OWNER), "plain", "11222333000181", "BR")  # the same, compact
    assert len(audit_trail(acme_db, "seq")) == rows  # nothing to record
    changed = accounts.set_tax_id(ctx_as(OWNER), "plain", OTHER_CNPJ, "BR")
    assert changed.tax_id == OTHER_CNPJ
    assert audit_trail(acme_db, "action", "details")[-1] == (
        "account.set_tax_id",
        {"country": "BR", "tax_id": "11444777000161", "previous": "BR:11222333000181"},
    )
    with pytest.raises(Forbidden, match="only the owner"):
        accounts.set_tax_id(ctx_as(BOB), ACME, OTHER_CNPJ, "BR")


def test_a_rename_keeps_the_slug(acme_db: Target, ctx_as: As) -> None:
    with writing(ctx_as(OWNER)) as s:
        acct = s.get_account(ACME)
        assert accounts.rename_in(s, acct, acct.name).name == acct.name  # no change
        renamed = accounts.rename_in(s, acct, "Acme Online")
    assert (renamed.slug, renamed.name) == (ACME, "Acme Online")
    assert audit_trail(acme_db, "action", "details")[-1] == (
        "account.rename",
        {"name": "Acme Online", "previous": "Acme Cursos"},
    )


def test_my_accounts_with_my_role_and_the_tax_id_for_the_owner_only(
    acme_db: Target, ctx_as: As, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts.create(ctx_as(BOB), "bobs", "Bob's")
    monkeypatch.setenv("COLABCTL_ACCOUNT", "bobs")
    mine = {a.slug: a for a in accounts.list_mine(ctx_as(BOB))}
    assert [(a.slug, a.role, a.current) for a in mine.values()] == [
        (ACME, "soporte", False),
        ("bobs", "owner", True),
    ]
    assert (mine[ACME].legal_entity, mine[ACME].tax_id, mine[ACME].tax_country) == (
        True,
        None,
        None,
    )
    (hers,) = accounts.list_mine(ctx_as(OWNER))
    assert (hers.tax_id, hers.tax_country) == (CNPJ, "BR")


def test_show_counts_profiles_and_active_collaborators(acme_db: Target, ctx_as: As) -> None:
    collaborators.invite(ctx_as(OWNER), BEA, profile="tecnico", account=ACME)  # pending
    shown = accounts.show(ctx_as(OWNER), ACME)
    assert (shown.profiles, shown.collaborators, shown.role) == (2, 1, "owner")
    assert accounts.show(ctx_as(BOB), ACME).tax_id is None
    users.register(ctx_as(None), ZED)
    with pytest.raises(NotFound) as outsider:
        accounts.show(ctx_as(ZED), ACME)
    assert outsider.value.message == f'no account "{ACME}"'


def test_an_open_offer_is_shown_to_the_owner_and_its_recipient_only(
    acme_db: Target, ctx_as: As
) -> None:
    collaborators.invite(ctx_as(OWNER), BEA, profile="tecnico", account=ACME)
    collaborators.accept(ctx_as(BEA), ACME)
    ownership.transfer(ctx_as(OWNER), ACME, BOB)
    assert accounts.show(ctx_as(OWNER), ACME).transfer is not None
    offer = accounts.show(ctx_as(BOB), ACME).transfer
    assert offer is not None and offer.to == BOB
    assert accounts.show(ctx_as(BEA), ACME).transfer is None
