"""core/team/checks.py: the rules a plan's values meet wherever the plan came from (a team
file's values as it is read, a saved plan's change by change), and the lookalike refusal
only the store can tell, before anything is written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from support import ACME, BEA, CNPJ, OWNER

from colabctl.core.session import Context, reading
from colabctl.core.team.checks import (
    check_change,
    description,
    permission_ids,
    refuse_lookalikes,
    tax_id,
)
from colabctl.core.team.model import Change
from colabctl.errors import Invalid
from colabctl.store.engine import Target

As = Callable[[str | None], Context]


def test_a_tax_id_is_a_country_and_a_number() -> None:
    assert tax_id({"country": "BR", "number": CNPJ}) == ("BR", "11222333000181")
    for bad in ("BR 11.222.333/0001-81", {"country": "BR"}, {"country": "BR", "number": 1}):
        with pytest.raises(Invalid) as caught:
            tax_id(bad)
        assert caught.value.message == '`tax_id` must be { country = "CC", number = "..." }'
    with pytest.raises(Invalid, match="check digit"):
        tax_id({"country": "BR", "number": "11.222.333/0001-82"})


def test_permissions_are_ids_and_delegable_unless_said() -> None:
    assert permission_ids(["products.view", "Retirar"]) == {"products.view", "withdrawal.withdraw"}
    with pytest.raises(Invalid, match="owner-only"):
        permission_ids(["account.bank"])
    assert permission_ids(["account.bank"], delegable=False) == {"account.bank"}
    with pytest.raises(Invalid) as caught:
        permission_ids("products.view")
    assert caught.value.message == "`permissions` must be a list of strings"


def test_a_description_is_free_text_or_empty() -> None:
    assert description("  Support  ") == "Support"
    assert description("   ") == ""
    with pytest.raises(Invalid, match="`description` must be a string"):
        description(3)
    with pytest.raises(Invalid, match="control character"):
        description("a\x1bb")


INVITE = {"profile": "soporte", "expires_in": 3600, "access_until": None}


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ("x", "a change must be an object"),
        ({"kind": "explode"}, 'unknown change kind "explode"'),
        (
            {"kind": "rename-account", "account": ACME, "target": "other", "after": "N"},
            f"the target of rename-account must be its account, {ACME}",
        ),
        (
            {"kind": "invite", "account": ACME, "target": BEA, "after": {"profile": "soporte"}},
            "expected an object with the keys profile, expires_in, access_until",
        ),
        (
            {"kind": "invite", "account": ACME, "target": BEA, "after": INVITE | {"expires_in": 0}},
            "`expires_in` 0 is out of range",
        ),
        (
            {"kind": "set-access-until", "account": ACME, "target": BEA, "after": "2027-03-31"},
            '"2027-03-31" is not a time as colabctl stores it (2027-03-31T23:59:59Z)',
        ),
        (
            {
                "kind": "remove",
                "account": ACME,
                "target": BEA,
                "before": {"status": "gone", "profile": None},
            },
            'unknown status "gone"',
        ),
        ({"kind": "register-user", "account": ACME, "target": "not an email"}, "not a valid email"),
    ],
)
def test_a_saved_change_is_checked_value_by_value(change: Any, says: str) -> None:
    with pytest.raises(Invalid) as caught:
        check_change(change)
    assert says in caught.value.message


def test_a_saved_change_comes_back_normalised() -> None:
    found = check_change(
        {"kind": "invite", "account": ACME, "target": "Bea@EXAMPLE.com", "after": INVITE}
    )
    assert (found.kind, found.target, found.before, found.after) == (
        "invite",
        "Bea@example.com",
        None,
        INVITE,
    )


@pytest.mark.engines("sqlite", "postgres")
def test_a_new_address_that_looks_like_a_user_is_refused_where_the_plan_says_it(
    acme_db: Target, ctx_as: As
) -> None:
    lookalike = "ana.souza@examp1e.com"  # ana's, with a digit one for an l
    changes = [
        Change(ACME, "invite", BEA, None, INVITE),
        Change(ACME, "invite", lookalike, None, INVITE),
    ]
    with reading(ctx_as(OWNER)) as s:
        refuse_lookalikes(s, changes[:1], lambda i, c: f"change {i}")  # nobody alike: no error
        with pytest.raises(Invalid) as caught:
            refuse_lookalikes(s, changes, lambda i, c: f"change {i}")
    assert caught.value.message == (
        f'change 2: "{lookalike}" looks like the address of an existing user'
    )
    assert OWNER not in caught.value.message + str(caught.value.hint)
