"""`skeleton` takes a character-at-a-time path for ASCII addresses; it must give what the
definition (`skeleton_general`) gives, for every address."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from colabctl.store.keys import _ascii_skeletons, skeleton, skeleton_general

ASCII = st.text(st.sampled_from([chr(i) for i in range(128)]), max_size=16)
CASES = [
    "ana.souza@example.com", "ANA.SOUZA@EXAMPLE.COM", "m@rn.com", "rn@m.com", "I1l|@x.io",
    "0O@o0.com", '"a"@b.c', "a%b@example.com", "`x`@y.z", "a@xn--mnchen-3ya.de",
    "a@XN--MNCHEN-3YA.DE", "no-at-sign", "@", "a@", "@b", " spaced@example.com ",
    "ñandú@example.com", "a@münchen.de", "a@b@c.d",
]  # fmt: skip


@pytest.mark.quick  # a plain unit test (its property below is slow)
def test_every_ascii_character_but_a_few_has_a_fast_skeleton() -> None:
    fast = _ascii_skeletons()
    assert set(string.ascii_letters + string.digits + ".-_+@") <= set(fast)
    assert "%" not in fast  # its prototype leaves ASCII


@pytest.mark.quick  # a plain unit test (its property below is slow)
def test_known_cases() -> None:
    for case in CASES:
        assert skeleton(case) == skeleton_general(case), case
    assert skeleton("m@example.com") == skeleton("rn@example.com")


@settings(max_examples=500, deadline=None)
@given(ASCII, ASCII)
def test_any_ascii_address(local: str, domain: str) -> None:
    address = f"{local}@{domain}"
    assert skeleton(address) == skeleton_general(address)


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(blacklist_categories=["Cs"]), max_size=16), ASCII)
def test_any_address(local: str, domain: str) -> None:
    address = f"{local}@{domain}"
    assert skeleton(address) == skeleton_general(address)
