"""`demo` (cli/demo.py) builds its own file, never the user's store or config.

Engines: SQLite only: the demo store is always a file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from support import Cli

pytestmark = pytest.mark.engines("sqlite")


def test_demo_builds_its_own_file_and_shows_it(cli: Cli, tmp_path: Path, db_path: Path) -> None:
    target = tmp_path / "demo.db"
    result = cli("demo", "--db", str(target))
    assert result.exit_code == 0, result.stderr
    assert not db_path.exists()  # the user's store (COLABCTL_DB) was not created
    assert not (tmp_path / "config.toml").exists()  # nor the user's config
    for heading in (
        "Profiles in acme-cursos",
        "Collaborators of acme-cursos",
        "Who can do what in acme-cursos",
        "whoami, as carla.mendes@example.com",
        "Try next:",
    ):
        assert heading in result.stdout
    conn = sqlite3.connect(target)
    try:
        profiles = {
            r[0]: r[1]
            for r in conn.execute(
                "SELECT p.name, count(pp.permission) FROM profiles p JOIN accounts a"
                " ON a.id = p.account_id JOIN profile_permissions pp ON pp.profile_id = p.id"
                " WHERE a.slug = 'acme-cursos' GROUP BY p.name"
            )
        }
        statuses = sorted(
            r[0]
            for r in conn.execute(
                "SELECT m.status FROM memberships m JOIN accounts a ON a.id = m.account_id"
                " WHERE a.slug = 'acme-cursos'"
            )
        )
        carla = sorted(
            r[0]
            for r in conn.execute(
                "SELECT a.slug FROM memberships m JOIN accounts a ON a.id = m.account_id"
                " JOIN users u ON u.id = m.user_id"
                " WHERE u.email = 'carla.mendes@example.com' AND m.status = 'active'"
            )
        )
    finally:
        conn.close()
    assert profiles == {"soporte": 10, "tecnico": 10, "financiero": 10, "gerente-afiliados": 8}
    assert statuses == ["active", "active", "active", "pending"]
    assert carla == ["acme-cursos", "beta-digital"]
    again = cli("demo", "--db", str(target))  # recreated, not added to
    assert again.exit_code == 0, again.stderr
    conn = sqlite3.connect(target)
    try:
        assert conn.execute("SELECT count(*) FROM accounts").fetchone()[0] == 2
    finally:
        conn.close()
    verify = cli("--db", str(target), "audit", "verify")
    assert verify.exit_code == 0, verify.stdout
