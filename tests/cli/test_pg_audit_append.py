"""Many audit rows in one transaction on PostgreSQL, through colabctl: the rows join the
end of the chain and the head moves once, onto the last (docs/storage.md, "The schema on
PostgreSQL"); the log verifies intact afterwards."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import OWNER, Cli, as_owner, ok

pytestmark = pytest.mark.postgres

ACME = "acme-cursos"
CNPJ = "11.222.333/0001-81"
PEOPLE = 300


def test_an_apply_inviting_hundreds_moves_the_head_once_and_verifies(
    cli: Cli, pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg

    monkeypatch.setenv("COLABCTL_DB", pg_url)
    ok(cli("login", OWNER))
    ok(
        cli(
            *as_owner(
                "account", "create", ACME, "--name", "Acme", "--tax-id", CNPJ, "--country", "BR"
            )
        )
    )
    ok(cli(*as_owner("profile", "create", "soporte", "--preset", "soporte", "-a", ACME)))
    # count the head's moves (a row-level trigger of the test's own, on this schema)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        before = conn.execute("SELECT seq FROM audit_head").fetchone()
        assert before is not None
        conn.execute("CREATE TABLE head_moves (seq BIGINT NOT NULL)")
        conn.execute(
            "CREATE FUNCTION count_head_move() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN INSERT INTO head_moves VALUES (NEW.seq); RETURN NEW; END $$"
        )
        conn.execute(
            "CREATE TRIGGER count_head_move AFTER UPDATE ON audit_head"
            " FOR EACH ROW EXECUTE FUNCTION count_head_move()"
        )

    people = "".join(f'"p{n:03d}@example.com" = "soporte"\n' for n in range(PEOPLE))
    team = tmp_path / "team.toml"
    team.write_text(
        f'version = 1\n\n[accounts.{ACME}]\nname = "Acme"\nowner = "{OWNER}"\n'
        f'tax_id = {{ country = "BR", number = "{CNPJ}" }}\n\n'
        f'[accounts.{ACME}.profiles.soporte]\npreset = "soporte"\n\n'
        f"[accounts.{ACME}.collaborators]\n{people}",
        encoding="utf-8",
    )
    result = ok(cli(*as_owner("apply", "-f", str(team), "--yes")))
    assert f"applied {PEOPLE} changes" in result.stderr

    with psycopg.connect(pg_url, autocommit=True) as conn:
        moves = conn.execute("SELECT seq FROM head_moves").fetchall()
        last = conn.execute("SELECT max(seq) FROM audit").fetchone()
        head = conn.execute("SELECT seq FROM audit_head").fetchone()
    assert last is not None and head is not None
    assert last[0] == head[0] >= before[0] + PEOPLE
    assert moves == [(head[0],)]  # once, onto the last row
    verdict = json.loads(ok(cli(*as_owner("audit", "verify", "--json"))).stdout)
    assert verdict["intact"] is True and verdict["rows"] == head[0]
    assert verdict["head"]["seq"] == head[0]
