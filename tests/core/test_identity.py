"""Email normalisation and the identity key (docs/commands.md, "Email addresses and identity")."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from colabctl.core.identity import email_key, normalize_email
from colabctl.errors import Invalid


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
