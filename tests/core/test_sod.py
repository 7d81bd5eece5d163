"""core/sod.py: the separation-of-duties rules (docs/review.md#rules): the shipped pairs,
a rules file naming permissions by id or label, and every fault of a rules file naming
the file and the line."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import write

from colabctl.core.sod import SodRule, forbidden_pairs, load_rules
from colabctl.errors import Invalid

PAIR = (
    '[[sod]]\nname = "refund-and-search"\n'
    'permissions = ["purchases.request_refunds", "Search purchases"]\n'
)


# -- rules --------------------------------------------------------------------------------------


def test_the_shipped_rules_pair_withdrawal_with_what_moves_money() -> None:
    rules = load_rules()
    assert rules and all(r.permissions[0] == "withdrawal.withdraw" for r in rules)
    assert forbidden_pairs(["withdrawal.withdraw", "purchases.request_refunds"]) == [rules[0]]
    assert forbidden_pairs(["products.view", "purchases.search"]) == []


def test_a_rules_file_names_labels_as_ids(tmp_path: Path) -> None:
    (rule,) = load_rules(write(tmp_path / "rules.toml", PAIR + 'severity = "medium"\n'))
    assert rule == SodRule(
        "refund-and-search", ("purchases.request_refunds", "purchases.search"), "medium"
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            '[[sod]]\nname = "x"\npermissions = ["products.view"]\n',
            ', line 1: [[sod]] "x": `permissions` must be a pair',
        ),
        (
            '[[sod]]\nname = "x"\npermissions = ["products.view", "Ver productos"]\n',
            ', line 1: [[sod]] "x": the pair names products.view twice',
        ),
        (
            PAIR + 'severity = "dire"\n',
            ', line 1: [[sod]] "refund-and-search": severity "dire" is not high, medium or low',
        ),
        (
            '[[sod]]\nname = "x"\npermissions = ["account.bank", "products.view"]\n',
            ', line 1: [[sod]] "x": account.bank is owner-only',
        ),
        (
            '[[sod]]\npermissions = ["a.b", "c.d"]\n',
            ", line 1: [[sod]]: `name` is missing or not a string",
        ),
        ("rules = 1\n", ': unknown key "rules"'),
    ],
)
def test_a_bad_rules_file_is_refused_naming_file_and_line(
    tmp_path: Path, text: str, says: str
) -> None:
    path = write(tmp_path / "rules.toml", text)
    with pytest.raises(Invalid) as caught:
        load_rules(path)
    assert caught.value.message.startswith(f"{path}{says}")
