"""core/identity.py: email normalisation, the identity key and the confusable skeleton
(docs/commands.md, "Email addresses and identity"): what they are, that they agree with
email-validator, the properties issue 9 asks for on a real store, the lookalike refusals;
and the team file's fast path (`normalize_email_fast`, email-validator's domain work once
per domain), which gives exactly `normalize_email`'s answers: the same normalised address,
or the same refusal with the same message and hint.

Engines: SQLite only: the key's properties are the key's, computed before any engine;
the unique index on it exists on both (tests/store/test_pg_schema.py)."""

from __future__ import annotations

import itertools
import sqlite3
import unicodedata
from pathlib import Path
from typing import Literal

import pytest
from email_validator import validate_email
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from support import START, python_with_colabctl

from colabctl.core.identity import (
    email_key,
    is_mixed_script,
    looks_like_someone,
    normalize_email,
    normalize_email_fast,
    refuse_lookalike,
)
from colabctl.core.session import Context, reading
from colabctl.core.users import register
from colabctl.errors import Invalid
from colabctl.store.keys import skeleton, tr39_skeleton
from colabctl.store.unicode import script, version


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("ana.souza@example.com", "ana.souza@example.com"),
        ("Ana.Souza@Example.COM", "Ana.Souza@example.com"),  # local part keeps its case
        ("ANA@EXAMPLE.COM", "ANA@example.com"),
        ("  ana@example.com\n", "ana@example.com"),  # surrounding whitespace ignored
        ("ana+soporte@acme-cursos.com.br", "ana+soporte@acme-cursos.com.br"),
        ("joão@exemplo.com.br", "joão@exemplo.com.br"),  # internationalised local part
        ("ana@exámple.es", "ana@exámple.es"),  # internationalised domain
        ("jose\u0301@example.com", "josé@example.com"),  # NFC: decomposed é composed
    ],
)
def test_valid_emails_are_normalised(raw: str, normalized: str) -> None:
    assert normalize_email(raw) == normalized


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("ana", "@-sign"),
        ("ana@", "after the @-sign"),
        ("@example.com", "before the @-sign"),
        ("ana@@example.com", "not allowed after the @-sign ('@')"),
        ("ana@example", "period"),
        ("ana@localhost", "period"),
        ("ana@acme.test", "special-use"),  # reserved TLDs are not real addresses
        ("ana..souza@example.com", "two periods"),
        ("ana souza@example.com", "not allowed before the @-sign (SPACE)"),
        ("Ana <ana@example.com>", "display name"),
        ("ana\u202e@example.com", "RIGHT-TO-LEFT OVERRIDE"),
        ("ana\x00@example.com", "U+0000"),
        ("ana@" + "b" * 300 + ".com", "too long"),
    ],
)
def test_invalid_emails_are_refused_with_the_reason(raw: str, reason: str) -> None:
    with pytest.raises(Invalid) as caught:
        normalize_email(raw)
    error = caught.value
    assert error.exit_code == 6
    assert " is not a valid email address: " in error.message
    assert reason in error.message
    assert "\n" not in error.message
    assert "\x00" not in error.message and "\u202e" not in error.message
    assert len(error.message) < 250
    assert error.hint is not None


def test_invalid_email_message_shape() -> None:
    with pytest.raises(Invalid) as caught:
        normalize_email("ana")
    assert caught.value.message == ('"ana" is not a valid email address: it has no @-sign')


@pytest.mark.parametrize("raw", ["", "   "])
def test_empty_email(raw: str) -> None:
    with pytest.raises(Invalid, match=r"^email address is empty$"):
        normalize_email(raw)


@pytest.mark.parametrize(
    "variant",
    [
        "Ana.Souza@Example.com",
        "ana.souza@example.com",
        "ANA.SOUZA@EXAMPLE.COM",
        " ana.souza@example.com ",
    ],
)
def test_case_variants_share_one_key(variant: str) -> None:
    assert email_key(variant) == "ana.souza@example.com"
    assert email_key(normalize_email(variant)) == email_key("ana.souza@example.com")


def test_normalised_case_variants_differ_but_are_the_same_user() -> None:
    first, second = normalize_email("Ana@Example.com"), normalize_email("ANA@example.COM")
    assert first != second  # each is kept as typed ...
    assert email_key(first) == email_key(second)  # ... but they are one user


def test_different_addresses_have_different_keys() -> None:
    assert email_key("ana@example.com") != email_key("ana.souza@example.com")
    assert email_key("ana@example.com") != email_key("ana@example.com.br")


def test_key_lowers_beyond_ascii_but_never_casefolds() -> None:
    assert email_key("JOÃO@Example.com") == email_key("joão@example.com")
    # str.lower(), not casefold(): "straße" and "strasse" are two mailboxes
    assert email_key("Straße@example.de") != email_key("STRASSE@example.de")


def test_key_does_not_validate() -> None:
    # `can` looks up anything; an address that matches no user is simply "no".
    assert email_key("Not An Email") == "not an email"


@pytest.mark.slow  # 300 examples through email-validator
@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=80), st.emails()))
def test_any_input_is_normalised_or_invalid(raw: str) -> None:
    try:
        normalized = normalize_email(raw)
    except Invalid as error:
        assert "\n" not in error.message
    else:
        assert normalize_email(normalized) == normalized  # idempotent


# -- the key, against email-validator ------------------------------------------------------


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


# -- the fast path -------------------------------------------------------------------------

BAD = Path(__file__).resolve().parents[1] / "data" / "bad" / "emails.txt"


def _bad() -> list[str]:
    text = BAD.read_text(encoding="ascii")
    return [
        line.encode("ascii").decode("unicode_escape")
        for line in text.splitlines()
        if line and not line.startswith("#")
    ]


LOCALS = [
    "ana.souza", "Ana.Souza", "ANA", "a", "postmaster", "PostMaster", "abuse", "x+tag",
    "a..b", ".a", "a.", "", "a b", "a\"b", "\"quoted\"", "\"a b\"", "ñandú", "Ñandú",
    "ǰ", "J\u030c", "e\u0301", "\u00e9", "straße", "用户", "ｃafe", "а", "a\u200bb",
    "a\x00b", "a\tb", "a@b", "x" * 64, "x" * 65, "o'neil", "!#$%&'*+/=?^_`{|}~-",
    "\u2488", "a\u0301\u0302", "\U0001f600",
]  # fmt: skip
DOMAINS = [
    "example.com", "EXAMPLE.COM", "Example.Com", "sub.example.com.br", "example",
    "example.com.", ".example.com", "exa mple.com", "exa_mple.com", "-ex.com", "ex-.com",
    "münchen.de", "MÜNCHEN.DE", "xn--mnchen-3ya.de", "XN--MNCHEN-3YA.DE", "straße.de",
    "例え.jp", "xn--r8jz45g.jp", "xn--zz.com", "localhost", "test", "invalid",
    "example.arpa", "a.local", "[127.0.0.1]", "[IPv6:::1]", "1.2.3.4", "ex\u200dample.com",
    "ex\uff0eample.com", "ex。ample.com", ("a" * 63 + ".") * 4 + "com", "a" * 64 + ".com",
    "e\u0301xample.com", "ⅸ.com", "xn--.com", "exámple.com", "192.168.0.1.nip.io", "",
]  # fmt: skip


def _answer(fn: object, raw: str) -> tuple[str, str | None, str | None]:
    assert callable(fn)
    try:
        return ("ok", fn(raw), None)
    except Invalid as exc:
        return ("refused", exc.message, exc.hint)


def _same(raw: str) -> None:
    assert _answer(normalize_email_fast, raw) == _answer(normalize_email, raw), repr(raw)


def test_bad_emails_file_is_read() -> None:
    assert len(_bad()) > 20


@pytest.mark.parametrize("raw", _bad())
def test_the_bad_emails_get_the_same_refusal(raw: str) -> None:
    _same(raw)
    assert _answer(normalize_email_fast, raw)[0] == "refused"


def test_a_generated_corpus_gets_the_same_answers() -> None:
    corpus = [f"{local}@{domain}" for local, domain in itertools.product(LOCALS, DOMAINS)]
    corpus += [f"  {a}  " for a in corpus[:50]] + [
        "Ana <ana@example.com>",
        "<ana@example.com>",
        "no-at-sign",
        "@example.com",
        "a@@b.c",
    ]
    outcomes = set()
    for raw in corpus:
        # twice: the second answer comes from the domain already judged
        _same(raw)
        _same(raw)
        outcomes.add(_answer(normalize_email, raw)[0])
    assert outcomes == {"ok", "refused"}


@settings(max_examples=300, deadline=None)
@given(
    st.text(st.characters(blacklist_categories=["Cs"]), max_size=12),
    st.sampled_from(DOMAINS) | st.text(st.characters(blacklist_categories=["Cs"]), max_size=12),
)
def test_any_address_gets_the_same_answer(local: str, domain: str) -> None:
    _same(f"{local}@{domain}")


# -- lookalikes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    ["ana@example.com", "joão@example.com", "用户@example.com", "ñandú@x.example", "αβγ@x.example"],
)
def test_a_local_part_in_one_script_is_welcome(address: str) -> None:
    refuse_lookalike(address)  # no exception
    assert not is_mixed_script(address.partition("@")[0])


def test_a_local_part_that_mixes_scripts_is_refused() -> None:
    with pytest.raises(Invalid) as caught:
        refuse_lookalike("pаypal@example.com")  # Cyrillic а among Latin letters
    assert caught.value.message == (
        '"pаypal@example.com" is refused: its local part mixes scripts (Latin, Cyrillic)'
    )
    assert caught.value.hint is not None


def test_a_local_part_nfkc_would_change_is_refused() -> None:
    with pytest.raises(Invalid) as caught:
        refuse_lookalike("ｃafe@example.com")  # a fullwidth c
    assert caught.value.message == (
        '"ｃafe@example.com" is refused: its local part has characters that stand in for'
        ' others ("ｃ"; NFKC makes it "cafe")'
    )


def test_looks_like_someone_never_names_the_other_user() -> None:
    refusal = looks_like_someone("rnodern@x.example")
    assert refusal.message == '"rnodern@x.example" looks like the address of an existing user'
    assert "modern" not in f"{refusal.message} {refusal.hint}".replace("rnodern", "")
