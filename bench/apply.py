"""Team as code (docs/team-file.md), against baselines measured in the same run:

1. 500 invites by one `colabctl apply` against 500 `colabctl invite` processes, each on a
   fresh copy of the same one-account store (target: >= 50x);
2. `apply` of the team file exported from the 10,000-account store into an empty store,
   against sqlite-utils `insert_all` of the same rows (users, accounts, profiles,
   profile_permissions, memberships) into an empty store of the same schema
   (target: <= 3x);
3. a no-change `plan` of that file against the `export` that wrote it (target: <= 3x);
4. plans with findings against the same `export` (target: <= 3x): the file with
   `withdrawal.withdraw` added to `soporte` in one account (a pull request's plan), and in
   every account (10,000 profile changes, each opening separation-of-duties findings for
   its holders). Every plan judges the findings it would open and close
   (docs/review.md), so these time the review of the planned state too.

    python bench/apply.py [--venv PREFIX] [--invites 500] [--accounts 10000]
        [--collaborators 100000] [--runs 3] [--skip-invites] [--skip-apply]

The big store is make_store.py's shape with one owner (the "agency") owning every
account: an export holds only the accounts its actor owns, and one apply is one actor.
Whole processes are timed (fork to exit); insert_all is timed in-process (the inserts
alone, one transaction), which favours the baseline.
"""

from __future__ import annotations

import argparse
import resource
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


BUSINESS = ("users", "accounts", "profiles", "profile_permissions", "memberships")


def _rows(applied: Path) -> dict[str, list[dict[str, object]]]:
    """The very rows an apply wrote (read back from the store it made), audit included."""
    conn = sqlite3.connect(applied)
    conn.row_factory = sqlite3.Row
    found = {t: [dict(r) for r in conn.execute(f"SELECT * FROM {t}")] for t in BUSINESS}
    found["audit"] = [dict(r) for r in conn.execute("SELECT * FROM audit")]
    conn.close()
    return found


def _insert_all(
    rows: dict[str, list[dict[str, object]]], target: Path, tables: tuple[str, ...]
) -> tuple[float, float]:
    """(wall, CPU) seconds of sqlite-utils insert_all of TABLES' rows into an empty store
    of the real schema, in one transaction (the audit triggers dropped: a plain insert)."""
    from sqlite_utils import Database

    from colabctl.store.db import open_for_write

    store = open_for_write(target)
    with store.transaction():
        for (name,) in store.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit'"
        ).fetchall():
            store.conn.execute(f"DROP TRIGGER {name}")
    db = Database(store.conn)
    started, cpu = time.perf_counter(), time.process_time()
    with store.transaction():
        for table in tables:
            db[table].insert_all(rows[table], batch_size=1000)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    store.close()
    return elapsed, cpu


def _timed(cmd: Command) -> tuple[float, float]:
    """(wall, CPU) seconds of one whole process: CPU is user + system of the child,
    which a machine shared with other work inflates far less than wall time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = run_once(cmd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


WITHDRAW = '"withdrawal.withdraw"'


def with_withdraw(team: Path, out: Path, *, every: bool) -> Path:
    """TEAM with withdrawal.withdraw added to soporte: in its first account, or in every one."""
    lines = team.read_text().splitlines(keepends=True)
    in_soporte = done = False
    for i, line in enumerate(lines):
        if line.startswith("["):
            in_soporte = line.rstrip().endswith(".profiles.soporte]")
        elif in_soporte and line.startswith("permissions = [") and (every or not done):
            lines[i] = line.rstrip().removesuffix("]") + f", {WITHDRAW}]\n"
            done = True
    out.write_text("".join(lines))
    return out


def big(
    colabctl: str, accounts: int, collaborators: int, runs: int, work: Path, *, apply: bool
) -> None:
    print(f"\n== 2-4. the {accounts:,}-account store: export, plans, apply")
    source = big_store(accounts, collaborators)
    team = work / "big.toml"
    export = Command(
        # --all (the hidden alias of --all-accounts): older builds, timed with --venv, know it
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
    plans = [plan]
    for name, every in (("plan-one", False), ("plan-every", True)):
        changed = with_withdraw(team, work / f"{name}.toml", every=every)
        argv = [colabctl, "--as", AGENCY_EMAIL, "plan", "-f", str(changed)]
        plans.append(Command(name, argv, _env(source)))
        shown = subprocess.run(argv, env=_env(source), capture_output=True, text=True)
        assert shown.returncode == 0, (shown.returncode, shown.stderr[-500:])
        print(f"{name}: {shown.stdout.count(chr(10)):,} lines of plan")

    samples: dict[str, list[tuple[float, float]]] = {
        k: []
        for k in ("export", "plan", "plan-one", "plan-every", "apply", "insert", "insert+audit")
    }
    rows: dict[str, list[dict[str, object]]] = {}
    for i in range(runs):
        order = [export, *plans] if i % 2 == 0 else [*reversed(plans), export]
        for cmd in order:
            samples[cmd.name].append(_timed(cmd))
        if not apply:
            continue
        empty = work / f"empty-{i}.db"
        _run(colabctl, empty, "login", AGENCY_EMAIL)
        argv = [colabctl, "--as", AGENCY_EMAIL, "apply", "-f", str(team), "--yes"]
        samples["apply"].append(_timed(Command("apply", argv, _env(empty))))
        if not rows:
            rows = _rows(empty)
        for name, tables in (("insert", BUSINESS), ("insert+audit", (*BUSINESS, "audit"))):
            baseline = work / f"insert-{i}.db"
            samples[name].append(_insert_all(rows, baseline, tables))
            for suffix in ("", "-wal", "-shm"):
                Path(f"{baseline}{suffix}").unlink(missing_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{empty}{suffix}").unlink(missing_ok=True)
    medians = _report(samples)
    for label, num in (
        ("plan (no change) / export", "plan"),
        ("plan (withdraw to soporte in one account) / export", "plan-one"),
        ("plan (withdraw to soporte in every account) / export", "plan-every"),
    ):
        (nw, nc), (dw, dc) = medians[num], medians["export"]
        print(f"{label}: wall {nw / dw:.2f}x, CPU {nc / dc:.2f}x (target <= 3x)")
    if not apply:
        return
    print("rows the apply wrote: " + ", ".join(f"{t} {len(r):,}" for t, r in rows.items()))
    business = sum(len(rows[t]) for t in BUSINESS)
    print(
        f"baseline 'insert': sqlite-utils insert_all, in one transaction, of those {business:,}"
        f" rows of {', '.join(BUSINESS)} (read back from the applied store), NO audit rows"
    )
    print(
        f"baseline 'insert+audit': the same plus its {len(rows['audit']):,} audit rows as"
        " written (hashes already computed; the audit triggers dropped: a plain insert)"
    )
    for label, num, den in (
        ("apply / insert_all (business rows)", "apply", "insert"),
        ("apply / insert_all (business + audit rows)", "apply", "insert+audit"),
    ):
        (nw, nc), (dw, dc) = medians[num], medians[den]
        print(f"{label}: wall {nw / dw:.2f}x, CPU {nc / dc:.2f}x (target <= 3x)")


def _report(samples: dict[str, list[tuple[float, float]]]) -> dict[str, tuple[float, float]]:
    """Print each command's spread; return its (wall, CPU) medians."""
    medians = {}
    for name, pairs in samples.items():
        if not pairs:
            continue
        wall = spread([w for w, _ in pairs])
        cpu = spread([c for _, c in pairs])
        medians[name] = (wall.median, cpu.median)
        print(f"{name:>13}: wall {wall.ms()}")
        print(f"{'':>13}  CPU  {cpu.ms()}")
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", help="venv prefix to time (default: this one)")
    parser.add_argument("--invites", type=int, default=500)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--collaborators", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-invites", action="store_true")
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--skip-apply", action="store_true", help="time export and plans only")
    args = parser.parse_args()
    env = venv(args.venv)
    print(f"colabctl from {install_kind(env.python)}; {load_note()}")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=OUT_DIR) as tmp:
        work = Path(tmp)
        if not args.skip_invites:
            invites(env.colabctl, args.invites, work)
        if not args.skip_big:
            big(
                env.colabctl,
                args.accounts,
                args.collaborators,
                args.runs,
                work,
                apply=not args.skip_apply,
            )


if __name__ == "__main__":
    main()
