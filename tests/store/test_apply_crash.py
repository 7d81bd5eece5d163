"""An apply killed with SIGKILL in the middle (docs/team-file.md: one BEGIN IMMEDIATE
transaction for the whole file) leaves the store as it was or as a whole apply leaves
it, never in between; the audit chain verifies; applying again converges. The harness is
the crash test's (tests/store/test_crash_safety.py).

Engines: SQLite only: a SQLite writer killed over its file (PostgreSQL: test_pg_store.py)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from support import CNPJ, OWNER, colabctl, copy_store, intact, spawn
from test_crash_safety import _kill_after, _query

from colabctl.core import accounts, profiles
from colabctl.core.session import Context
from colabctl.core.users import register

ACME = "acme-cursos"
PEOPLE = 3000
KILLS = 12


def _shape(db: Path) -> dict[str, Any]:
    """What an apply changes, without the times it happened at."""
    return {
        "people": _query(
            db,
            "SELECT u.email, p.name, m.status FROM memberships m JOIN users u ON u.id = m.user_id"
            " JOIN profiles p ON p.id = m.profile_id ORDER BY u.email",
        ),
        "profiles": _query(
            db,
            "SELECT p.name, pp.permission FROM profiles p"
            " JOIN profile_permissions pp ON pp.profile_id = p.id ORDER BY 1, 2",
        ),
        "accounts": _query(db, "SELECT slug, name FROM accounts ORDER BY slug"),
        "audit": _query(db, "SELECT count(*) FROM audit"),
    }


@pytest.mark.slow
def test_a_killed_apply_is_all_or_nothing(tmp_path: Path) -> None:
    template = tmp_path / "template.db"
    ctx = Context(db=str(template), actor=OWNER)
    register(ctx, OWNER)
    accounts.create(ctx, ACME, "Acme", tax_id=CNPJ, country="BR")
    profiles.create(ctx, "soporte", preset="soporte", account=ACME)
    team = tmp_path / "team.toml"
    lines = [
        "version = 1",
        f"[accounts.{ACME}]",
        'name = "Acme Renamed"',
        f"[accounts.{ACME}.profiles.soporte]",
        'preset = "soporte"',
        'permissions = ["withdrawal.withdraw"]',
        f"[accounts.{ACME}.profiles.apoio]",
        'permissions = ["products.view"]',
        f"[accounts.{ACME}.collaborators]",
        *(f'"person{i:05d}@example.com" = "apoio"' for i in range(PEOPLE)),
    ]
    team.write_text("\n".join(lines) + "\n")
    apply = ("--as", OWNER, "apply", "-f", str(team), "--yes")

    before = _shape(template)
    whole = tmp_path / "whole.db"
    copy_store(template, whole)
    started = time.monotonic()
    done = colabctl(*apply, db=whole)
    duration = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    after = _shape(whole)
    assert after != before and len(after["people"]) == PEOPLE

    landed = {"before": 0, "after": 0}
    victim = tmp_path / "victim.db"
    for i in range(KILLS):
        copy_store(template, victim)
        process = spawn(*apply, db=victim)
        if not _kill_after(process, duration * (0.2 + 0.9 * i / KILLS)):
            outcome = _shape(victim)  # it finished first: must be the whole apply
            assert outcome == after
            landed["after"] += 1
            continue
        intact(victim)
        outcome = _shape(victim)
        assert outcome in (before, after), "a killed apply left the store in between"
        landed["before" if outcome == before else "after"] += 1
        again = colabctl(*apply, db=victim)  # converges: the rest of the apply, or nothing
        assert again.returncode == 0, again.stderr
        assert _shape(victim)["people"] == after["people"]
        intact(victim)
    assert landed["before"] > 0, landed  # some kills did land inside the transaction
    shutil.rmtree(tmp_path, ignore_errors=True)
