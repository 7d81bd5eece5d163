"""The identity key and the confusable skeleton (docs/commands.md, "Email addresses and
identity"): what they are, that they agree with email-validator, and the properties
issue 9 asks for, on a real store.

Engines: SQLite only: the key's properties are the key's, computed before any engine;
the unique index on it exists on both (tests/store/test_pg_schema.py)."""

from __future__ import annotations

import sqlite3
import unicodedata
from pathlib import Path
from typing import Literal

import pytest
from email_validator import validate_email
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from support import START, python_with_colabctl

from colabctl.core.identity import email_key, normalize_email
from colabctl.core.session import Context, reading
from colabctl.core.users import register
from colabctl.errors import Invalid
from colabctl.store.keys import skeleton, tr39_skeleton
from colabctl.store.unicode import script, version

# -- the key ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("Ana.Souza@Example.COM", "ana.souza@example.com"),
        ("user@exämple.com", "user@xn--exmple-cua.com"),
        ("user@XN--EXMPLE-CUA.com", "user@xn--exmple-cua.com"),
        (unicodedata.normalize("NFD", "José@Exämple.com"), "josé@xn--exmple-cua.com"),
        ("user@ｅxample.com", "user@example.com"),  # UTS #46 maps fullwidth letters
        ("Straße@example.de", "straße@example.de"),  # lower(), never casefold()
        ("a@straße.de", "a@xn--strae-oqa.de"),  # IDNA 2008 keeps ß (IDNA 2003: strasse.de)
        ("J\u030c@example.com", "\u01f0@example.com"),  # lowered j + caron is composed
    ],
)
def test_the_key(typed: str, key: str) -> None:
    assert email_key(typed) == key


def test_strasse_and_strasse_with_eszett_are_two_keys_in_either_part() -> None:
    assert email_key("straße@example.de") != email_key("strasse@example.de")
    assert email_key("a@straße.de") != email_key("a@strasse.de")


def test_the_key_never_raises_and_a_bad_domain_matches_no_stored_key() -> None:
    for junk in ("", "@", "no at sign", "a@-bad-.com", "a@ex\u200dmple.com", "a@\udcff.com"):
        key = email_key(junk)
        assert isinstance(key, str)
    assert not email_key("a@\u0378.com").isascii()  # unassigned: IDNA refuses it


_LOCAL = st.lists(
    st.sampled_from(list("aAbBzZ09_") + list("éÉñÑßẞøØçÇ") + ["J\u030c", "e\u0301"]),
    min_size=1,
    max_size=10,
).map("".join)
_DOMAIN = st.sampled_from(
    ["example.com", "EXAMPLE.com", "exämple.com", "EXÄMPLE.COM", "straße.de", "müller.example"]
)


@st.composite
def typed_forms(draw: st.DrawFn) -> str:
    """An address as someone might type it: any case, NFC or NFD, IDNA or Unicode domain."""
    local, domain = draw(_LOCAL), draw(_DOMAIN)
    if draw(st.booleans()):
        domain = email_key(f"x@{domain}").partition("@")[2]  # as xn--
    address = f"{local}@{domain}"
    forms: list[Literal["NFC", "NFD", "NFKC"]] = ["NFC", "NFD", "NFKC"]
    form = draw(st.sampled_from(forms))
    address = unicodedata.normalize(form, address)
    return address.upper() if draw(st.booleans()) else address


def _valid(raw: str) -> str:
    try:
        return normalize_email(raw)
    except Invalid:
        assume(False)
        raise


@settings(max_examples=300, deadline=None)
@given(typed_forms())
def test_normalisation_and_key_are_idempotent_and_agree(raw: str) -> None:
    normalized = _valid(raw)
    assert normalize_email(normalized) == normalized
    assert email_key(email_key(raw)) == email_key(raw)
    assert email_key(normalized) == email_key(raw)  # the raw form finds the stored user
    # the key is email-validator's ASCII domain and the NFC, lower-cased local part
    checked = validate_email(normalized, check_deliverability=False)
    local = unicodedata.normalize("NFC", unicodedata.normalize("NFC", checked.local_part).lower())
    assert email_key(raw) == f"{local}@{checked.ascii_domain}"


# -- the skeleton ----------------------------------------------------------------------------


def test_the_shipped_unicode_data_is_version_18() -> None:
    assert version("confusables.txt") == version("Scripts.txt") == "18.0.0"
    assert [script(c) for c in "aоα用た1\u0301"] == [
        "Latin",
        "Cyrillic",
        "Greek",
        "Han",
        "Hiragana",
        "Common",
        "Inherited",
    ]
    assert script("\U0010ffff") == "Unknown"
    assert tr39_skeleton("раураl") == "paypal"  # Cyrillic р а у а
    assert tr39_skeleton("ｍ") == "rn"


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("cop@x.example", "сор@x.example"),
        ("popc@x.example", "РОРС@x.example"),
        ("col@x.example", "coI@x.example"),
        ("modern@x.example", "rnodern@x.example"),
        ("ana@example.com", "ana@examp1e.com"),
        ("user@exämple.com", "user@xn--exmple-cua.com"),
    ],
)
def test_lookalikes_share_a_skeleton(one: str, other: str) -> None:
    assert skeleton(one) == skeleton(other)


def test_different_looking_addresses_do_not() -> None:
    assert skeleton("straße@example.de") != skeleton("strasse@example.de")
    assert skeleton("ana@example.com") != skeleton("ana.souza@example.com")


# -- properties on a real store --------------------------------------------------------------

_SPOOF_LOCAL = st.lists(
    st.sampled_from([*list("coplI1m"), "rn", "о", "с", "р", "С", "О", "ο", "ß", "ss"]),
    min_size=1,
    max_size=5,
).map("".join)


def _ctx(tmp: Path) -> Context:
    return Context(db=str(tmp / "prop.db"), actor=None, clock=lambda: START)


def _fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("prop")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(_SPOOF_LOCAL, _DOMAIN), min_size=1, max_size=8))
def test_no_two_stored_users_share_a_skeleton(
    tmp_path_factory: pytest.TempPathFactory, people: list[tuple[str, str]]
) -> None:
    ctx = _ctx(_fresh(tmp_path_factory))
    stored = 0
    for local, domain in people:
        try:
            register(ctx, f"{local}@{domain}")
            stored += 1
        except Invalid:
            pass  # a lookalike or a bad address: refused, and nothing stored
    assume(stored > 0)
    conn = sqlite3.connect(ctx.db or "")
    rows = conn.execute("SELECT email, skeleton FROM users").fetchall()
    conn.close()
    assert rows
    assert all(shape == skeleton(email) for email, shape in rows)
    assert len({shape for _, shape in rows}) == len(rows), rows


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(typed_forms(), typed_forms())
def test_two_inputs_with_the_same_key_are_the_same_user(
    tmp_path_factory: pytest.TempPathFactory, first: str, second: str
) -> None:
    _valid(first), _valid(second)
    ctx = _ctx(_fresh(tmp_path_factory))
    one, _ = register(ctx, first)
    try:
        two, created = register(ctx, second)
    except Invalid as refused:
        # only a new user is ever refused as a lookalike, never the same key
        assert email_key(first) != email_key(second), refused.message
        return
    assert (one.id == two.id) == (email_key(first) == email_key(second))
    assert created == (one.id != two.id)
    with reading(Context(db=ctx.db, actor=second)) as s:
        assert s.actor().id == two.id


# -- cost ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_an_ascii_key_loads_neither_idna_nor_the_lookalike_data() -> None:
    """`can` computes keys on every run: it must not pay for IDNA or confusables."""
    code = (
        "import sys\n"
        "from colabctl.core.identity import email_key\n"
        "email_key('Ana@Example.com'); email_key('josé@example.com')\n"
        "heavy = ('idna', 'email_validator', 'urllib')\n"
        "print(sorted(m for m in sys.modules\n"
        "             if m.split('.')[0] in heavy or m == 'colabctl.store.unicode'))\n"
    )
    assert python_with_colabctl(code) == "[]"
