"""Appending hashes a row with `chained_hash` (the canonical text written out by hand);
`verify` with `row_hash` of the content dict. They must agree on every row."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from colabctl.store.audit import GENESIS, _content, canonical, chained_hash, row_hash

TEXTS = [
    "", "plain", 'quo"te', "back\\slash", "new\nline", "tab\t", "\x00\x1f\x7f", "ñandú",
    "用户", "\u2028\u2029", "\U0001f600", "</script>", "a/b",
]  # fmt: skip

text = st.text(st.characters(blacklist_categories=["Cs"]), max_size=20)
maybe = st.none() | text | st.sampled_from(TEXTS)


@pytest.mark.quick  # a plain unit test (its property below is slow)
def test_fixed_values_hash_the_same() -> None:
    for value in TEXTS:
        details = canonical({"k": value, "n": None, "list": [value, 1]})
        args = (7, value or "2026-11-29T17:00:00Z", value, None, value, value, details)
        assert chained_hash(GENESIS, *args) == row_hash(GENESIS, _content(*args))


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=1, max_value=2**62),
    text,
    maybe,
    maybe,
    text,
    maybe,
    st.dictionaries(text, maybe | st.integers() | st.booleans(), max_size=4),
    st.sampled_from([GENESIS, "f" * 64]),
)
def test_any_row_hashes_the_same(
    seq: int,
    at: str,
    actor: str | None,
    account: str | None,
    action: str,
    target: str | None,
    details: dict[str, object],
    prev: str,
) -> None:
    text_details = canonical(details)
    args = (seq, at, actor, account, action, target, text_details)
    assert chained_hash(prev, *args) == row_hash(prev, _content(*args))
