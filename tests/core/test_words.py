"""core/words.py: the words a person reads for enum values (a membership's status, a
risk or severity level, the owner's role), in the chosen language; JSON keeps the values
themselves (docs/glossary.md has the words)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from colabctl import i18n
from colabctl.core.words import WORDS, level, status, status_word


@pytest.fixture
def spanish() -> Iterator[None]:
    i18n.set_language("es")
    yield
    i18n.set_language("en")


def test_in_english_the_words_are_the_values() -> None:
    assert [status(v) for v in ("pending", "active", "ended")] == ["pending", "active", "ended"]
    assert level("high") == "high"


def test_in_spanish_each_value_has_its_word(spanish: None) -> None:
    assert [status(v) for v in ("pending", "active", "expired", "ended")] == [
        "pendiente",
        "activo",
        "vencido",
        "finalizado",
    ]
    assert level("high") != "high"


def test_a_status_word_is_its_value_in_json_and_its_word_when_shown(spanish: None) -> None:
    word = status_word("declined")
    assert json.dumps({"status": word}) == '{"status": "declined"}'
    assert i18n.shown(word) == "rechazado"


def test_every_status_and_level_is_listed_for_translation() -> None:
    statuses = {"pending", "active", "expired", "declined", "revoked", "ended"}
    assert set(WORDS) == statuses | {"owner", "high", "medium", "low"}
