"""The team file's fast email path (`normalize_email_fast`, email-validator's domain work
once per domain) gives exactly `normalize_email`'s answers: the same normalised address,
or the same refusal with the same message and hint."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from colabctl.core.identity import normalize_email, normalize_email_fast
from colabctl.errors import Invalid

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
