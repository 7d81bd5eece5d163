"""Slugs and free-text names (docs/commands.md, "Names, emails and tax IDs")."""

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from colabctl.core.names import at_line, clean_text, closest, quoted, validate_slug
from colabctl.errors import Invalid

BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@pytest.mark.parametrize(
    "slug",
    ["acme-cursos", "gerente-afiliados", "ab", "a1", "a-", "a--b", "x" * 40, "soporte", "z9-9"],
)
def test_valid_slugs(slug: str) -> None:
    assert validate_slug(slug) == slug


def slug_error(value: str, what: str = "account slug") -> Invalid:
    with pytest.raises(Invalid) as caught:
        validate_slug(value, what=what)
    assert caught.value.exit_code == 6
    return caught.value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", "account slug is empty"),
        ("a", 'account slug "a" has 1 character; it must have 2-40'),
        ("a" * 41, f'account slug "{"a" * 41}" has 41 characters; it must have 2-40'),
        ("Acme", 'account slug "Acme" contains "A", which is not allowed'),
        ("1acme", 'account slug "1acme" must start with a letter'),
        ("-acme", 'account slug "-acme" must start with a letter'),
        ("acme_cursos", 'account slug "acme_cursos" contains "_", which is not allowed'),
        ("acme cursos", 'account slug "acme cursos" contains " ", which is not allowed'),
        ("acme\x00", 'account slug "acme\\x00" contains "\\x00", which is not allowed'),
        ("acme\u202egpj", 'account slug "acme\\u202egpj" contains "\\u202e", which is not allowed'),
        ("ａｃｍｅ", 'account slug "ａｃｍｅ" contains "ａ", which is not allowed'),  # fullwidth
        ("café", 'account slug "café" contains "é", which is not allowed'),
        ("acme/../x", 'account slug "acme/../x" contains "/", which is not allowed'),
        ("acme\\x", 'account slug "acme\\\\x" contains "\\\\", which is not allowed'),
        ("acme\n", 'account slug "acme\\n" contains "\\n", which is not allowed'),
        (" acme", 'account slug " acme" contains " ", which is not allowed'),
        ('ac"me', 'account slug "ac\\"me" contains "\\"", which is not allowed'),
    ],
)
def test_invalid_slugs(value: str, expected: str) -> None:
    error = slug_error(value)
    assert error.message == expected
    assert error.hint is not None
    assert error.hint.startswith("use 2-40 lowercase letters, digits and hyphens, starting with")


def test_hint_suggests_the_slug_they_probably_meant() -> None:
    assert slug_error("Acme Cursos").hint == (
        "use 2-40 lowercase letters, digits and hyphens, starting with a letter, e.g. acme-cursos"
    )
    assert (slug_error("ACME_Cursos").hint or "").endswith("e.g. acme-cursos")
    assert (slug_error("Mi Marca").hint or "").endswith("e.g. mi-marca")
    assert (slug_error("1").hint or "").endswith("e.g. acme-cursos")


def test_what_names_the_kind_of_name() -> None:
    error = slug_error("Soporte", what="profile name")
    assert error.message.startswith('profile name "Soporte" ')
    assert (error.hint or "").endswith("e.g. soporte")
    assert (slug_error("x", what="profile name").hint or "").endswith("e.g. gerente-afiliados")


@pytest.mark.parametrize(
    "value", ["a" * 10_000, "\u202e" * 10_000, "\x00" * 10_000, "Á\n" * 5_000, "\udcff" * 100]
)
def test_huge_or_hostile_slug_gives_one_short_line(value: str) -> None:
    error = slug_error(value)
    assert "\n" not in error.message
    assert len(error.message) < 200
    assert error.message.isprintable()
    assert error.hint is not None and len(error.hint) < 200 and error.hint.isprintable()


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_validate_slug_returns_or_raises_invalid_on_one_line(value: str) -> None:
    try:
        assert validate_slug(value) == value
    except Invalid as error:
        assert "\n" not in error.message
        assert "\n" not in (error.hint or "")


@given(st.from_regex(r"[a-z][a-z0-9-]{1,39}", fullmatch=True))
def test_every_slug_of_the_grammar_is_accepted(value: str) -> None:
    assert validate_slug(value) == value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Acme Cursos", "Acme Cursos"),
        ("  Acme Cursos \n", "Acme Cursos"),
        ("Ana Souza", "Ana Souza"),
        ("São Paulo – Cursos & Co.", "São Paulo – Cursos & Co."),
        ("עברית", "עברית"),  # right-to-left text itself is fine; only overrides are not
        ("x", "x"),
        ("x" * 200, "x" * 200),
        ("🙂 Equipe", "🙂 Equipe"),
    ],
)
def test_clean_text_accepts_and_trims(value: str, expected: str) -> None:
    assert clean_text(value) == expected


def text_error(value: str, what: str = "name") -> Invalid:
    with pytest.raises(Invalid) as caught:
        clean_text(value, what=what)
    assert caught.value.exit_code == 6
    error = caught.value
    assert "\n" not in error.message and len(error.message) < 250
    return error


@pytest.mark.parametrize("value", ["", "   ", "\n\t "])
def test_clean_text_refuses_empty(value: str) -> None:
    assert text_error(value).message == "name is empty"


def test_clean_text_refuses_more_than_200_characters() -> None:
    error = text_error(" " + "x" * 201 + " ")
    assert "too long: 201 characters, at most 200" in error.message


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("Acme\x00Cursos", "U+0000"),
        ("Acme\nCursos", "U+000A"),
        ("Acme\tCursos", "U+0009"),
        ("Acme\x1b[31mCursos", "U+001B"),  # terminal escape sequence
        ("Acme\x7f", "U+007F"),
        ("Acme\x85Cursos", "U+0085"),  # C1 control
        ("Acme\u202eCursos", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("Acme\u202aCursos", "U+202A LEFT-TO-RIGHT EMBEDDING"),
        ("Acme\u2066Cursos", "U+2066 LEFT-TO-RIGHT ISOLATE"),
        ("Acme\u2069Cursos", "U+2069 POP DIRECTIONAL ISOLATE"),
    ],
)
def test_clean_text_refuses_control_characters(value: str, code: str) -> None:
    error = text_error(value, what="display name")
    assert error.message.startswith("display name ")
    assert f"contains a control character ({code})" in error.message
    assert error.message.isprintable()


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_clean_text_result_is_always_clean(value: str) -> None:
    try:
        text = clean_text(value)
    except Invalid as error:
        assert "\n" not in error.message
    else:
        assert text == text.strip() and 1 <= len(text) <= 200
        assert not any(unicodedata.category(char) in ("Cc", "Cs") for char in text)
        assert not BIDI_CONTROLS.intersection(text)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("acme", '"acme"'),
        ('a"b\\c', '"a\\"b\\\\c"'),
        ("a\x00\n\u202e", '"a\\x00\\n\\u202e"'),
        ("José", '"José"'),
        ("x" * 60, '"' + "x" * 50 + '"... (60 characters)'),
    ],
)
def test_quoted(value: str, shown: str) -> None:
    assert quoted(value) == shown


def test_quoted_with_other_quotes() -> None:
    assert quoted("FR", quote="'") == "'FR'"
    assert quoted("it's", quote="'") == "'it\\'s'"


def test_at_line_names_the_line_when_there_is_one() -> None:
    assert at_line("team.toml", 7) == "team.toml, line 7"
    assert at_line("team.toml", 0) == at_line("team.toml", None) == "team.toml"


def test_closest_suggests_a_near_choice_never_the_same_one() -> None:
    assert closest("suporte", ["soporte", "tecnico"]) == "soporte"
    assert closest("soporte", ["soporte"]) is None  # asked for what is there: no typo
    assert closest("zzz", ["soporte", "tecnico"]) is None
