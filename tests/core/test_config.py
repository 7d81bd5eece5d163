"""core/config.py: the config file (the logged-in user and each user's current account),
read as input like any other file (capped, checked, refused with exit 6 and a hint) and
written whole, readable by its user alone."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from colabctl.core.config import (
    config_path,
    current_account,
    read_config,
    set_current_account,
    write_config,
)
from colabctl.errors import Invalid


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """The config the `isolated` fixture points COLABCTL_CONFIG at (not there yet)."""
    found = config_path()
    assert found == tmp_path / "config.toml"
    return found


def test_no_config_reads_as_empty(path: Path) -> None:
    assert read_config() == {}
    assert not path.exists()


def test_written_whole_read_back_and_private(path: Path) -> None:
    write_config({"user": "ana@example.com", "gone": None, "current": {"ana@example.com": "a"}})
    assert read_config() == {"user": "ana@example.com", "current": {"ana@example.com": "a"}}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".config")] == []


def test_each_user_has_a_current_account_by_identity_key(path: Path) -> None:
    set_current_account("Ana@Example.COM", "acme-cursos")
    set_current_account("bob@example.com", "bobs")
    config = read_config()
    assert current_account(config, "ana@example.com") == "acme-cursos"
    assert current_account(config, "bob@example.com") == "bobs"
    assert current_account(config, "carla@example.com") is None
    assert current_account({"current": "acme-cursos"}, "ana@example.com") is None  # not a table


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b'user = "a\n', "malformed TOML at line 1"),
        (b"\xff\xfe", "line 1: not UTF-8 text"),
        (b"x" * 1_000_001, "too large for a config (more than 1 MB)"),
    ],
)
def test_a_bad_config_is_refused_with_a_way_out(path: Path, content: bytes, says: str) -> None:
    path.write_bytes(content)
    with pytest.raises(Invalid) as caught:
        read_config()
    assert caught.value.message.startswith(f"the config {path}")
    assert says in caught.value.message
    assert caught.value.hint == "fix it, or delete it and log in again"


def test_a_folder_is_no_config(path: Path) -> None:
    path.mkdir()
    with pytest.raises(Invalid) as caught:
        read_config()
    assert caught.value.message.startswith(f"the config {path}: cannot read: ")
