"""Team as code (docs/team-file.md), against baselines measured in the same run:

1. 500 invites by one `colabctl apply` against 500 `colabctl invite` processes, each on a
   fresh copy of the same one-account store (target: >= 50x);
2. `apply` of the team file exported from the 10,000-account store into an empty store,
   against sqlite-utils `insert_all` of the same rows (users, accounts, profiles,
   profile_permissions, memberships) into an empty store of the same schema
   (target: <= 3x);
3. a no-change `plan` of that file against the `export` that wrote it (target: <= 3x).

    python bench/apply.py [--venv PREFIX] [--invites 500] [--accounts 10000]
        [--collaborators 100000] [--runs 3] [--skip-invites]

The big store is make_store.py's shape with one owner (the "agency") owning every
account: an export holds only the accounts its actor owns, and one apply is one actor.
Whole processes are timed (fork to exit); insert_all is timed in-process (the inserts
alone, one transaction), which favours the baseline.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _proc import OUT_DIR, Command, clean_env, install_kind, load_note, run_once, spread, venv
from make_store import AGENCY_EMAIL, STORES_DIR, build_store

OWNER = "ana.souza@example.com"
CNPJ = "11.222.333/0001-81"


def _env(db: Path) -> dict[str, str]:
    return clean_env(COLABCTL_DB=str(db), NO_COLOR="1")


def _run(colabctl: str, db: Path, *args: str, stdin: str | None = None) -> str:
    handle = open(stdin, "rb") if stdin else None  # noqa: SIM115
    try:
        done = subprocess.run(
            [colabctl, *args], env=_env(db), stdin=handle, capture_output=True, text=True
        )
    finally:
        if handle:
            handle.close()
    if done.returncode != 0:
        raise SystemExit(f"{args}: exit {done.returncode}: {done.stderr}")
    return done.stdout


def invites(colabctl: str, n: int, work: Path) -> None:
    print(f"\n== 1. {n} invites: one apply vs {n} invite processes")
    seed = work / "one-account.db"
    _run(colabctl, seed, "login", OWNER)
    _run(
        colabctl, seed, "--as", OWNER, "account", "create", "acme-cursos", "--name", "Acme",
        "--tax-id", CNPJ, "--country", "BR",
    )  # fmt: skip
    _run(colabctl, seed, "--as", OWNER, "profile", "create", "soporte", "--preset", "soporte")
    team = work / "invites.toml"
    _run(colabctl, seed, "--as", OWNER, "export", "-a", "acme-cursos", "-o", str(team))
    people = [f"person{i:04d}@example.com" for i in range(n)]
    with team.open("a") as out:
        out.writelines(f'"{email}" = "soporte"\n' for email in people)

    store = work / "invites-apply.db"
    shutil.copy(seed, store)
    argv = [colabctl, "--as", OWNER, "apply", "-f", str(team), "--yes"]
    apply_s = run_once(Command("apply", argv, _env(store)))
    check = sqlite3.connect(store).execute("SELECT count(*) FROM memberships").fetchone()[0]
    assert check == n, check

    store = work / "invites-cli.db"
    shutil.copy(seed, store)
    started = time.perf_counter()
    for email in people:
        argv = [colabctl, "--as", OWNER, "invite", email, "--profile", "soporte"]
        run_once(Command("invite", argv, _env(store)))
    cli_s = time.perf_counter() - started
    check = sqlite3.connect(store).execute("SELECT count(*) FROM memberships").fetchone()[0]
    assert check == n, check
    print(f"apply: {apply_s:8.2f} s   {n} invite processes: {cli_s:8.2f} s")
    print(f"ratio: {cli_s / apply_s:.1f}x faster (target >= 50x)")


def big_store(accounts: int, collaborators: int) -> Path:
    path = STORES_DIR / f"team-{accounts}-{collaborators}.db"
    if not path.exists():
        info = build_store(
            path, accounts=accounts, collaborators=collaborators, agency_accounts=accounts
        )
        print(f"built {path} in {info.build_seconds:.1f} s: {info.summary()}")
    return path


def _rows(source: Path) -> dict[str, list[dict[str, object]]]:
    """The rows a team file of SOURCE stands for: pending and active people only."""
    conn = sqlite3.connect(source)
    conn.row_factory = sqlite3.Row
    live = "m.status IN ('pending', 'active')"
    queries = {
        "users": "SELECT * FROM users WHERE id IN (SELECT owner_id FROM accounts) OR id IN"
        f" (SELECT user_id FROM memberships m WHERE {live})",
        "accounts": "SELECT * FROM accounts",
        "profiles": "SELECT * FROM profiles",
        "profile_permissions": "SELECT * FROM profile_permissions",
        "memberships": f"SELECT * FROM memberships m WHERE {live}",
    }
    return {table: [dict(r) for r in conn.execute(sql)] for table, sql in queries.items()}


def _insert_all(rows: dict[str, list[dict[str, object]]], target: Path) -> float:
    from sqlite_utils import Database

    from colabctl.store.db import open_for_write

    store = open_for_write(target)
    with store.transaction():
        pass  # the real schema
    db = Database(store.conn)
    started = time.perf_counter()
    with store.transaction():
        for table in ("users", "accounts", "profiles", "profile_permissions", "memberships"):
            db[table].insert_all(rows[table], batch_size=1000)
    elapsed = time.perf_counter() - started
    store.close()
    return elapsed


def big(colabctl: str, accounts: int, collaborators: int, runs: int, work: Path) -> None:
    print(f"\n== 2-3. the {accounts:,}-account store: export, plan, apply")
    source = big_store(accounts, collaborators)
    team = work / "big.toml"
    export = Command(
        "export", [colabctl, "--as", AGENCY_EMAIL, "export", "--all", "-o", str(team)],
        _env(source),
    )  # fmt: skip
    plan = Command(
        "plan", [colabctl, "--as", AGENCY_EMAIL, "plan", "-f", str(team), "--detailed-exitcode"],
        _env(source),
    )  # fmt: skip
    run_once(export)
    lines = team.read_text().count("\n")
    print(f"team file: {team.stat().st_size / 1e6:.1f} MB, {lines:,} lines")
    done = subprocess.run(plan.argv, env=plan.env, capture_output=True)
    assert done.returncode == 0, (done.returncode, done.stderr[-500:])

    export_s, plan_s, apply_s, insert_s = [], [], [], []
    rows = _rows(source)
    for i in range(runs):
        order = [export, plan] if i % 2 == 0 else [plan, export]
        for cmd in order:
            (export_s if cmd is export else plan_s).append(run_once(cmd))
        empty = work / f"empty-{i}.db"
        _run(colabctl, empty, "login", AGENCY_EMAIL)
        argv = [colabctl, "--as", AGENCY_EMAIL, "apply", "-f", str(team), "--yes"]
        apply_s.append(run_once(Command("apply", argv, _env(empty))))
        check = sqlite3.connect(empty).execute("SELECT count(*) FROM memberships").fetchone()[0]
        assert check == len(rows["memberships"]), (check, len(rows["memberships"]))
        baseline = work / f"insert-{i}.db"
        insert_s.append(_insert_all(rows, baseline))
        for path in (empty, baseline):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    print("rows: " + ", ".join(f"{t} {len(r):,}" for t, r in rows.items()))
    for name, samples in (
        ("export", export_s), ("plan (no change)", plan_s), ("apply (empty store)", apply_s),
        ("insert_all", insert_s),
    ):  # fmt: skip
        print(f"{name:>20}: {spread(samples).ms()}")
    e, p, a, b = (spread(x).median for x in (export_s, plan_s, apply_s, insert_s))
    print(f"apply / insert_all: {a / b:.2f}x (target <= 3x)")
    print(f"plan / export:      {p / e:.2f}x (target <= 3x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", help="venv prefix to time (default: this one)")
    parser.add_argument("--invites", type=int, default=500)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--collaborators", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-invites", action="store_true")
    parser.add_argument("--skip-big", action="store_true")
    args = parser.parse_args()
    env = venv(args.venv)
    print(f"colabctl from {install_kind(env.python)}; {load_note()}")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=OUT_DIR) as tmp:
        work = Path(tmp)
        if not args.skip_invites:
            invites(env.colabctl, args.invites, work)
        if not args.skip_big:
            big(env.colabctl, args.accounts, args.collaborators, args.runs, work)


if __name__ == "__main__":
    main()
