"""The statements a write command sends to PostgreSQL, read from the server's own log
(`log_statement = all`) on a throwaway cluster: all of them, and those sent while the
writer lock is held (after `pg_advisory_xact_lock`, up to COMMIT), which every other
writer waits for (docs/postgres.md, "Performance").

    python bench/pg_writes.py [--venv VENV]

Each command runs as a real process on a store that already holds the bench's account
(ana owns acme-cursos with soporte and tecnico, bob is active in soporte).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from pgcluster import Cluster, find_bindir  # noqa: E402

OWNER = "ana.souza@example.com"
CNPJ = "11.222.333/0001-81"
SETUP = [
    ["login", OWNER],
    ["account", "create", "acme-cursos", "--name", "Acme", "--tax-id", CNPJ, "--country", "BR"],
    ["profile", "create", "soporte", "--preset", "soporte", "-a", "acme-cursos"],
    ["profile", "create", "tecnico", "--preset", "tecnico", "-a", "acme-cursos"],
    ["invite", "bob@example.com", "--profile", "soporte", "-a", "acme-cursos"],
    ["--as", "bob@example.com", "accept", "acme-cursos"],
]
MEASURED = [
    ["profile", "edit", "soporte", "--description", "the desk", "-a", "acme-cursos"],
    ["profile", "edit", "soporte", "--add", "tools.listboss", "-a", "acme-cursos"],
    ["invite", "carla@example.com", "--profile", "soporte", "-a", "acme-cursos"],
    ["collaborator", "set-profile", "bob@example.com", "tecnico", "-a", "acme-cursos"],
    ["collaborator", "remove", "carla@example.com", "-a", "acme-cursos"],
]


def run(python: str, env: dict[str, str], args: list[str]) -> None:
    done = subprocess.run(
        [python, "-m", "colabctl", *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(f"{args}: {done.returncode} {done.stderr}")


def statements(log: Path, start: int) -> list[str]:
    """The statements logged since byte START, one line each."""
    found: list[str] = []
    with log.open(encoding="utf-8", errors="replace") as handle:
        handle.seek(start)
        for row in handle:
            for marker in ("LOG:  statement: ", "LOG:  execute <unnamed>: ", "LOG:  execute "):
                if marker in row:
                    found.append(row.split(marker, 1)[1].strip())
                    break
    return found


def under_lock(found: list[str]) -> list[str]:
    begin = next(i for i, s in enumerate(found) if "pg_advisory_xact_lock" in s)
    end = next(i for i, s in enumerate(found) if s.upper() == "COMMIT" and i > begin)
    return found[begin : end + 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", help="the venv whose python runs colabctl (default: this one)")
    args = parser.parse_args()
    python = str(Path(args.venv) / "bin" / "python") if args.venv else sys.executable
    bindir = find_bindir()
    if bindir is None:
        sys.exit("no PostgreSQL server binaries (initdb, pg_ctl): apt-get install postgresql")
    server = Cluster(bindir).start()
    try:
        import psycopg

        with psycopg.connect(server.url(), autocommit=True) as conn:
            conn.execute("ALTER ROLE postgres SET log_statement = 'all'")
        home = Path(server.root)
        env = {k: v for k, v in os.environ.items() if not k.startswith("COLABCTL_")}
        env.update(COLABCTL_DB=server.url(), COLABCTL_CONFIG=str(home / "config.toml"))
        for step in SETUP:
            run(python, env, step)
        log = server.root / "log"
        for command in MEASURED:
            start = log.stat().st_size
            run(python, env, ["--as", OWNER, *command])
            found = statements(log, start)
            locked = under_lock(found)
            print(
                f"\n== colabctl {' '.join(command)}: {len(found)} statements,"
                f" {len(locked)} under the writer lock"
            )
            for text in locked:
                print(f"   {text[:150]}")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
