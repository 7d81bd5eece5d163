"""colabctl on a PostgreSQL store (docs/postgres.md) against its baselines, in one run, on a
throwaway cluster this script starts and always stops (tests/pgcluster.py).

    python bench/postgres.py --venv /tmp/vb [--runs 40] [--batch-runs 3] [--lines 100000]
        [--processes 8] [--ops 50] [--load auto|copy|bench] [--only cold,batch,writers]

1. `cold`: `colabctl can USER PERM -a SLUG` as a whole process against a PostgreSQL store,
   against `python -c "import typer, psycopg"`: the CPU time (user + system) of the client
   process alone, from os.wait4 (the server's work is the batch figure's), strictly
   alternating; target at most 1.3x, as the store owner and as a team login of the asker's
   own, bound with `store bind` (row-level security then applies: docs/postgres.md). Wall
   time is printed too, for information, and the statements one `can` sends (a small fixed
   number, whatever the store's size). Also: a `can` on the SQLite file must not import
   psycopg (bench/cold_start.py times that one).
2. `batch`: `colabctl can --batch` of 100,000 checks (bench/batch.py's question file, every
   answer verified) against the 10,000-account store of make_store.py loaded into
   PostgreSQL, against the same command on the SQLite file, alternating; target: wall time
   at most 2x SQLite's, as the store owner and as a bound login whose user owns every
   account asked about. The store goes in with `colabctl store copy` where it exists (its
   time is printed), else with this script's own loader (COPY, triggers off while loading
   as the cluster's superuser, the audit head set to the copied chain's last row).
3. `writers`: bench/concurrency.py's workload, N processes x M real CLI writers, on a
   PostgreSQL database and on a SQLite file one after the other: failures and lost updates
   (both must be 0), audit rows against acknowledged mutations, `audit verify`, and p50/p99
   wall time per operation side by side; target: p50 at most 1.5x SQLite's. Then where a
   write's time goes, one process at a time: the client's CPU for a write on each engine
   against `import typer` and the driver's floor (`import typer, psycopg` and one
   connection), which says how much of the gap is colabctl's own work.

Time a NON-editable install (`--venv`), as users install it. The machine is shared: read
medians and ratios, not single runs.
"""

from __future__ import annotations

import argparse
import json
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import concurrency
from _proc import (
    OUT_DIR,
    Command,
    alternate_timed,
    clean_env,
    install_kind,
    line,
    load_note,
    med,
    paired,
    quantile,
    timed,
    venv,
)
from batch import verify, write_input
from make_store import StoreInfo, ensure_store, sample_check

from colabctl.store import copying

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from pgcluster import Cluster, find_bindir  # noqa: E402

COLD_TARGET = 1.3
BATCH_TARGET = 2.0
WRITERS_TARGET = 1.5
# The tables a store holds, parents first (what the loader copies, in this order): the
# one list `store copy` writes by.
TABLES = tuple(table.name for table in copying.TABLES)


# -- the cluster -------------------------------------------------------------------


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through the `finally` that stops the cluster


@contextmanager
def cluster() -> Iterator[Cluster]:
    """A throwaway PostgreSQL cluster, stopped and removed however the run ends."""
    bindir = find_bindir()
    if bindir is None:
        sys.exit("no PostgreSQL server binaries (initdb, pg_ctl): apt-get install postgresql")
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    server = Cluster(bindir)
    started = time.perf_counter()
    try:
        server.start()
        print(f"PostgreSQL cluster on port {server.port} in {time.perf_counter() - started:.1f} s")
        yield server
    finally:
        try:
            server.stop()
        except Exception as exc:  # never started, or already gone: the folder is removed
            print(f"(stopping the cluster: {exc})", file=sys.stderr)


def create_database(server: Cluster, name: str) -> str:
    import psycopg

    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return server.url(name)


# -- loading the big store into PostgreSQL -----------------------------------------


def has_store_copy(colabctl: str) -> bool:
    done = subprocess.run(
        [colabctl, "store", "copy", "--help"], capture_output=True, env=clean_env()
    )
    return done.returncode == 0


def load_with_store_copy(colabctl: str, src: str, url: str) -> float | str:
    """Seconds `colabctl store copy SRC URL` took, or why it refused."""
    started = time.perf_counter()
    done = subprocess.run(
        [colabctl, "store", "copy", src, url], capture_output=True, text=True, env=clean_env()
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        return f"exit {done.returncode}: {done.stderr.strip().splitlines()[0]}"
    return elapsed


def load_with_copy_rows(src: str, url: str) -> float:
    """The bench's own loader: colabctl's schema (its migrations, by opening the store to
    write), then every table's rows with COPY in one transaction, triggers and foreign-key
    checks off (session_replication_role = replica, as the cluster's superuser: the rows
    come from a store that already obeyed them), the audit head set to the copied chain's
    last row, then VACUUM (ANALYZE)."""
    import psycopg

    from colabctl.store.engine import open_for_write

    started = time.perf_counter()
    store = open_for_write(url)
    try:
        with store.transaction():
            pass  # the migrations: the same schema the CLI makes
    finally:
        store.close()
    lite = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    try:
        with psycopg.connect(url) as pg:  # one transaction, committed on leaving
            pg.execute("SET LOCAL session_replication_role = replica")
            for table in TABLES:
                have = {r[1] for r in lite.execute(f"PRAGMA table_info({table})")}
                want = [
                    r[0]
                    for r in pg.execute(
                        "SELECT column_name FROM information_schema.columns"
                        " WHERE table_schema = current_schema() AND table_name = %s"
                        " ORDER BY ordinal_position",
                        (table,),
                    )
                ]
                columns = [c for c in want if c in have]
                if not columns:
                    continue
                names = ", ".join(columns)
                with pg.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in lite.execute(f"SELECT {names} FROM {table}"):
                        copy.write_row(row)
            head = lite.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
            seq, digest = head if head else (0, "0" * 64)
            pg.execute("UPDATE audit_head SET seq = %s, hash = %s WHERE id = 1", (seq, digest))
        with psycopg.connect(url, autocommit=True) as pg:
            pg.execute("VACUUM (ANALYZE)")  # what autovacuum does soon after a bulk load
    finally:
        lite.close()
    return time.perf_counter() - started


def load(args: argparse.Namespace, colabctl: str, info: StoreInfo, url: str) -> None:
    how = args.load
    if how == "auto":
        how = "copy" if has_store_copy(colabctl) else "bench"
    copied = load_with_store_copy(colabctl, info.path, url) if how == "copy" else None
    if isinstance(copied, float):
        print(f"loaded with `colabctl store copy SRC URL`: {copied:.1f} s")
        import psycopg

        with psycopg.connect(url, autocommit=True) as pg:
            analyzed = time.perf_counter()
            pg.execute("VACUUM (ANALYZE)")  # what autovacuum does soon after a bulk load
            print(f"  then VACUUM (ANALYZE): {time.perf_counter() - analyzed:.1f} s")
    else:
        if copied is not None:
            # make_store writes no audit rows, and `store copy` copies only a store whose
            # chain accounts for its rows: it refuses this one, by design
            if args.load == "copy":
                sys.exit(f"`colabctl store copy` refused the store ({copied})")
            print(f"`colabctl store copy` refused the store ({copied}); the bench's loader:")
        seconds = load_with_copy_rows(info.path, url)
        print(f"loaded with the bench's own loader (COPY, triggers off, VACUUM): {seconds:.1f} s")
    # make_store writes no audit rows, so `audit verify` finds rows no log created on both;
    # what matters is that the loaded store says exactly what the file says
    verdicts = [
        subprocess.run(
            [colabctl, "audit", "verify", "--json"],
            env=clean_env(COLABCTL_DB=db, COLABCTL_USER=str(info.agency_owner)),
            capture_output=True,
            text=True,
        )
        for db in (url, info.path)
    ]
    pg_says, lite_says = ((v.returncode, json.loads(v.stdout or "null")) for v in verdicts)
    print(
        f"  audit verify: the same verdict as on the SQLite file: "
        f"{'yes' if pg_says == lite_says else 'NO'} (exit {pg_says[0]}:"
        f" {(pg_says[1] or {}).get('problem') or 'intact'})"
    )


# -- 1. cold start ---------------------------------------------------------------


def imported(argv: Sequence[str], env: dict[str, str]) -> set[str]:
    done = subprocess.run(
        argv, env={**env, "PYTHONPROFILEIMPORTTIME": "1"}, capture_output=True, text=True
    )
    return {
        row.split("|")[-1].strip()
        for row in done.stderr.splitlines()
        if row.startswith("import time:") and "self [us]" not in row
    }


def statements_of_can(
    server: Cluster, url: str, argv: list[str], env: dict[str, str], role: str = "postgres"
) -> int:
    """How many statements one `can` sends: the server's log, with every statement logged
    for the login ROLE for the length of one run."""
    import psycopg

    log = server.root / "log"
    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute(f"ALTER ROLE {role} SET log_statement = 'all'")
    try:
        before = log.stat().st_size
        subprocess.run(argv, env=env, capture_output=True, check=True)
        with log.open(encoding="utf-8", errors="replace") as handle:
            handle.seek(before)
            return sum(1 for row in handle if "LOG:  statement:" in row or "LOG:  execute" in row)
    finally:
        with psycopg.connect(server.url(), autocommit=True) as conn:
            conn.execute(f"ALTER ROLE {role} RESET log_statement")


BOUND_PASSWORD = "bench-login"


def bound_login(server: Cluster, db: str, colabctl: str, email: str) -> tuple[str, str]:
    """A team login of its own for EMAIL, bound to them by the store owner with `colabctl
    store bind` (docs/postgres.md): (its name, a URL to DB as it)."""
    import psycopg

    login = "bench_" + "".join(c if c.isalnum() else "_" for c in email.split("@")[0])[:40]
    with psycopg.connect(server.url(), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (login,)).fetchone() is None:
            conn.execute(f"CREATE ROLE {login} LOGIN PASSWORD '{BOUND_PASSWORD}'")
    done = subprocess.run(
        [colabctl, "--as", email, "store", "bind", login, email],
        env=clean_env(COLABCTL_DB=server.url(db)),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.exit(f"`store bind {login} {email}` failed: {done.stderr.strip()}")
    return login, server.url(db, user=login, password=BOUND_PASSWORD)


def cold(args: argparse.Namespace, server: Cluster, info: StoreInfo, url: str) -> bool:
    py, colabctl = venv(args.venv)
    q = sample_check(info.path, seed=args.seed)
    argv = [colabctl, "can", q.user, q.permission, "-a", q.account]
    pg_env = clean_env(COLABCTL_USER=q.actor, COLABCTL_DB=url)
    lite_env = clean_env(COLABCTL_USER=q.actor, COLABCTL_DB=info.path)
    login, login_url = bound_login(server, "big", colabctl, q.actor)
    bound_env = clean_env(COLABCTL_DB=login_url)  # the login acts as its user
    print(f"\n== 1. cold `can` on PostgreSQL: {' '.join(['colabctl', *argv[1:]])}")
    for env in (pg_env, bound_env, lite_env):
        answer = subprocess.run(argv, env=env, capture_output=True, text=True)
        if answer.returncode != 0 or answer.stdout.strip() != "yes":
            sys.exit(
                f"unexpected answer (exit {answer.returncode}): {answer.stdout}{answer.stderr}"
            )
    baseline = Command("import typer, psycopg", [py, "-c", "import typer, psycopg"], pg_env)
    can_pg = Command("colabctl can (PostgreSQL, store owner)", argv, pg_env)
    can_bound = Command(f"colabctl can (PostgreSQL, bound {login})", argv, bound_env)
    can_lite = Command("colabctl can (SQLite, for reference)", argv, lite_env)
    commands = [baseline, can_pg, can_bound, can_lite]
    print(f"{load_note()}; {args.runs} runs each, strictly alternating, {args.warmup} warm-up")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    times = alternate_timed(commands, args.runs, args.warmup)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    for cmd in commands:
        print(line(cmd.name, times[cmd.name]))
    counted = sum(t.cpu for ts in times.values() for t in ts)
    children = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(
        f"  (os.wait4 CPU summed over these runs {counted:.2f} s; RUSAGE_CHILDREN delta"
        f" {children:.2f} s, warm-up included: the server's work is in neither)"
    )
    met = True
    base = times[baseline.name]
    for cmd in (can_pg, can_bound):
        mine = times[cmd.name]
        ratio = med(mine, "cpu") / med(base, "cpu")
        met = met and ratio <= COLD_TARGET
        print(
            f"{cmd.name}: CPU ratio of medians {ratio:.2f}x (target <= {COLD_TARGET}x: "
            f"{'met' if ratio <= COLD_TARGET else 'MISSED'}); side-by-side median"
            f" {paired(mine, base, 'cpu'):.2f}x; wall (information):"
            f" {med(mine, 'wall') / med(base, 'wall'):.2f}x"
        )
    statements = statements_of_can(server, url, argv, pg_env)
    bound = statements_of_can(server, login_url, argv, bound_env, role=login)
    print(f"statements one `can` sends to the server: {statements} (bound login: {bound})")
    pg_mods = imported(argv, pg_env)
    base_mods = imported(baseline.argv, pg_env)
    extra = sorted(m for m in pg_mods - base_mods if not m.startswith("colabctl"))
    print(
        f"`can` on PostgreSQL imports {len(pg_mods)} modules ({len(base_mods)} for the"
        f" baseline); beyond it, outside colabctl: {', '.join(extra) or 'none'}"
    )
    lite_mods = imported(argv, lite_env)
    leaked = sorted(m for m in lite_mods if m.split(".")[0] == "psycopg")
    print(
        "`can` on SQLite imports psycopg: "
        + (f"YES ({', '.join(leaked[:5])})" if leaked else "no")
        + " (its cold start against `import typer`: bench/cold_start.py)"
    )
    return met and not leaked


# -- 2. batch ----------------------------------------------------------------------


def batch(args: argparse.Namespace, server: Cluster, info: StoreInfo, url: str) -> bool:
    _, colabctl = venv(args.venv)
    OUT_DIR.mkdir(exist_ok=True)
    questions = OUT_DIR / f"batch-{args.lines}-s{args.seed}.jsonl"
    expected = write_input(info, questions, args.lines, args.seed)
    print(
        f"\n== 2. `can --batch` of {len(expected):,} checks ({sum(expected):,} allowed),"
        f" {info.agency_owner} asking (who owns every account asked about)"
    )
    argv = [colabctl, "can", "--batch", str(questions)]
    user = str(info.agency_owner)
    login, login_url = bound_login(server, "big", colabctl, user)
    lite = Command(
        "can --batch (SQLite)", argv, clean_env(COLABCTL_USER=user, COLABCTL_DB=info.path)
    )
    pg = Command(
        "can --batch (PostgreSQL, store owner)",
        argv,
        clean_env(COLABCTL_USER=user, COLABCTL_DB=url),
    )
    bound = Command(
        f"can --batch (PostgreSQL, bound {login})", argv, clean_env(COLABCTL_DB=login_url)
    )
    runs = (lite, pg, bound)
    outputs = {cmd.name: OUT_DIR / f"postgres-{i}.out.jsonl" for i, cmd in enumerate(runs)}
    for cmd in runs:
        first = timed(cmd, outputs[cmd.name])
        if first.code != 0:
            sys.exit(f"{cmd.name} exited {first.code}")
        verify(outputs[cmd.name], expected)
    print("every answer as expected on both engines")
    print(f"{load_note()}; {args.batch_runs} runs each, alternating")
    times = alternate_timed(list(runs), args.batch_runs, warmup=0, outputs=outputs)
    for cmd in runs:
        print(line(cmd.name, times[cmd.name]))
        verify(outputs[cmd.name], expected)
        outputs[cmd.name].unlink()
    met = True
    for cmd in (pg, bound):
        ratio = med(times[cmd.name], "wall") / med(times[lite.name], "wall")
        met = met and ratio <= BATCH_TARGET
        print(
            f"{cmd.name}: wall ratio of medians {ratio:.2f}x (target <= {BATCH_TARGET}x: "
            f"{'met' if ratio <= BATCH_TARGET else 'MISSED'}); side-by-side median"
            f" {paired(times[cmd.name], times[lite.name], 'wall'):.2f}x; client CPU ratio"
            f" {med(times[cmd.name], 'cpu') / med(times[lite.name], 'cpu'):.2f}x"
        )
    return met


# -- 3. concurrent writers ------------------------------------------------------------


def writers(args: argparse.Namespace, server: Cluster) -> bool:
    py, _ = venv(args.venv)
    concurrency.PYTHON = py
    print(f"\n== 3. {args.processes} processes x {args.ops} CLI writers, each engine in turn")
    healthy = True
    walls: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="colabctl-pgbench-") as tmp:
        stores: list[tuple[str, concurrency.Store]] = [
            ("PostgreSQL", create_database(server, "writers")),
            ("SQLite", Path(tmp) / "store.db"),
        ]
        for name, db in stores:
            concurrency.setup(db)
            before = concurrency.audit_count(db)
            started = time.perf_counter()
            outcomes = concurrency.run(db, args.processes, args.ops)
            elapsed = time.perf_counter() - started
            report = concurrency.check(db, outcomes, before, args.processes)
            verified = concurrency.colabctl(db, "audit", "verify", "--json")
            walls[name] = report.walls
            print(f"-- {name}: {elapsed:.1f} s for {len(outcomes)} runs")
            print("   " + report.summary().replace("\n", "\n   "))
            said = json.loads(verified.stdout or "{}")
            print(
                f"   audit verify: exit {verified.returncode}, intact {said.get('intact')},"
                f" {said.get('rows')} rows"
            )
            for outcome in report.failures[:5]:
                print(
                    f"   failed: {' '.join(outcome.op.args)} -> {outcome.exit_code}:"
                    f" {outcome.stderr.strip()}"
                )
            for lost in report.lost[:5]:
                print(f"   lost: {lost}")
            healthy = healthy and not report.failures and not report.lost
            healthy = healthy and verified.returncode == 0 and said.get("intact") is True
            healthy = healthy and report.audit_rows == report.acknowledged_mutations
        for q in (0.50, 0.99):
            pg_q, lite_q = (quantile(walls[n], q) for n in ("PostgreSQL", "SQLite"))
            print(
                f"p{q * 100:.0f} per operation: PostgreSQL {pg_q * 1e3:.0f} ms, SQLite"
                f" {lite_q * 1e3:.0f} ms ({pg_q / lite_q:.2f}x)"
            )
        ratio = quantile(walls["PostgreSQL"], 0.5) / quantile(walls["SQLite"], 0.5)
        print(
            f"p50 target <= {WRITERS_TARGET}x SQLite's:"
            f" {'met' if ratio <= WRITERS_TARGET else 'MISSED'} ({ratio:.2f}x)"
        )
        print(f"nothing lost, nothing failed, chains intact on both: {'yes' if healthy else 'NO'}")
        where_the_time_goes(args, stores)
    return healthy and ratio <= WRITERS_TARGET


def where_the_time_goes(
    args: argparse.Namespace, stores: Sequence[tuple[str, concurrency.Store]]
) -> None:
    """One write at a time, no contention: the CPU of the client process for a write on
    each engine, against `import typer` and the PostgreSQL driver's floor (`import typer,
    psycopg` and one connection to the same database). With 8 writers on 2 cores the p50
    follows CPU per operation, so this says how much of the gap is colabctl's and how much
    is the driver's import, which no change to colabctl's statements can remove."""
    py, _ = venv(args.venv)
    pg, lite = (db for _, db in stores)
    write = [
        py, "-m", "colabctl", "--as", concurrency.OWNER, "profile", "edit",
        concurrency.SHARED, "--description", "{run}", "-a", concurrency.ACCOUNTS[0][0],
    ]  # fmt: skip
    connect = f"import typer, psycopg; psycopg.connect({str(pg)!r}).close()"
    commands = [
        Command("import typer", [py, "-c", "import typer"], clean_env()),
        Command("import typer, psycopg + connect", [py, "-c", connect], clean_env()),
        Command("write on PostgreSQL", write, concurrency.environment(pg)),
        Command("write on SQLite", write, concurrency.environment(lite)),
    ]
    runs = max(args.runs // 2, 10)
    print(f"\n-- where a write's time goes: one process at a time, {runs} runs each, alternating")
    times = alternate_timed(commands, runs, 3)
    for cmd in commands:
        print(line(cmd.name, times[cmd.name]))
    typer_cpu, floor, pg_cpu, lite_cpu = (med(times[c.name], "cpu") for c in commands)
    driver = floor - typer_cpu
    print(
        f"PostgreSQL write / SQLite write (CPU): {pg_cpu / lite_cpu:.2f}x; the driver's"
        f" import and connection alone: {driver * 1e3:.0f} ms, {driver / lite_cpu:.2f}x a whole"
        f" SQLite write; the PostgreSQL write without it: {(pg_cpu - driver) / lite_cpu:.2f}x"
    )
    print(
        f"floor: `import typer, psycopg` and a connection, with no colabctl at all, is"
        f" {floor / lite_cpu:.2f}x a whole SQLite write (the p50 target: {WRITERS_TARGET}x)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", help="venv to time (default: the one running this script)")
    parser.add_argument("--runs", type=int, default=40, help="cold-start runs of each command")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--batch-runs", type=int, default=3)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--collaborators", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--ops", type=int, default=50)
    parser.add_argument(
        "--load",
        choices=("auto", "copy", "bench"),
        default="auto",
        help="how the big store goes in: `colabctl store copy`, the bench's loader, or"
        " the first where it exists (default)",
    )
    parser.add_argument(
        "--only", default="cold,batch,writers", help="comma-separated: cold, batch, writers"
    )
    args = parser.parse_args()
    parts = set(args.only.split(","))
    py, colabctl = venv(args.venv)
    print(f"venv: {py}; colabctl from {install_kind(py)}")
    results: dict[str, bool] = {}
    with cluster() as server:
        if parts & {"cold", "batch"}:
            info = ensure_store(args.accounts, args.collaborators, seed=args.seed)
            url = create_database(server, "big")
            load(args, colabctl, info, url)
            if "cold" in parts:
                results["cold"] = cold(args, server, info, url)
            if "batch" in parts:
                results["batch"] = batch(args, server, info, url)
        if "writers" in parts:
            results["writers"] = writers(args, server)
    print("\n" + "; ".join(f"{k}: {'met' if v else 'MISSED'}" for k, v in results.items()))
    print("(a 2-core machine shared with other work: trust medians and ratios, not single runs)")
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # the cluster was stopped on the way out
        print("\ninterrupted; the cluster is stopped and removed", file=sys.stderr)
        sys.exit(130)
