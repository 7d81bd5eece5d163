"""core/tomlfile.py: the one reader of the TOML files colabctl is given: capped in size,
a byte order mark accepted, bad bytes and bad TOML refused the same way (exit 6), naming
the file and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from colabctl.core import tomlfile
from colabctl.errors import Invalid


def load(tmp_path: Path, raw: bytes, limit: int = 1000) -> dict[str, object]:
    path = tmp_path / "f.toml"
    path.write_bytes(raw)
    return tomlfile.load(path, "f.toml", limit=limit, what="a preset")


def refusal(tmp_path: Path, raw: bytes, limit: int = 1000) -> str:
    with pytest.raises(Invalid) as caught:
        load(tmp_path, raw, limit)
    return caught.value.message


def test_a_file_is_read_with_or_without_a_byte_order_mark(tmp_path: Path) -> None:
    assert load(tmp_path, b'name = "x"\n') == {"name": "x"}
    assert load(tmp_path, '\ufeffname = "ñ"\n'.encode()) == {"name": "ñ"}


def test_bad_bytes_are_named_by_their_line(tmp_path: Path) -> None:
    assert refusal(tmp_path, b'a = 1\nb = "\xff"\n') == "f.toml, line 2: not UTF-8 text"


def test_bad_toml_is_named_by_line_and_column_in_our_words(tmp_path: Path) -> None:
    assert refusal(tmp_path, b"a = 1\nb = \n") == (
        "f.toml: malformed TOML at line 2, column 5 (the parser says: Invalid value)"
    )
    assert refusal(tmp_path, b'a = "abc') == (
        "f.toml: malformed TOML at the end of the file (the parser says: Unterminated string)"
    )
    assert refusal(tmp_path, b"a = " + b"[" * 5000 + b"]" * 5000 + b"\n", limit=20_000) == (
        "f.toml: malformed TOML: nested too deeply"
    )


def test_the_cap_is_the_callers(tmp_path: Path) -> None:
    big = b"# " + b"x" * 999_998 + b"\n"  # 1,000,001 bytes
    assert refusal(tmp_path, big, limit=1_000_000) == (
        "f.toml: too large for a preset (more than 1 MB)"
    )
    assert load(tmp_path, big, limit=1_000_001) == {}


def test_the_fast_parser_reads_what_tomllib_reads() -> None:
    text = 'a = 1\n[t]\nb = [1, "x", 2027-03-31]\nc = { d = true }\n'
    assert tomlfile.parse(text, "f", fast=True) == tomlfile.parse(text, "f")
    with pytest.raises(Invalid, match=r"^f: malformed TOML at line 1"):
        tomlfile.parse("a = = 1\n", "f", fast=True)


def test_an_unplaced_reason_is_still_said() -> None:
    assert tomlfile.malformed("f.toml", "Something odd") == (
        "f.toml: malformed TOML (the parser says: Something odd)"
    )
