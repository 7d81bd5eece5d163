"""In-process checks: colabctl's core against pycasbin's FastEnforcer on the same data
(README, Performance: colabctl at least 10x).

    python bench/casbin_compare.py [--queries 50000] [--rounds 3] [--load-sizes 1000,10000]

Data: a make_store store of 100 accounts x 10 collaborators x 4 profiles. casbin gets
the same facts as an RBAC-with-domains policy: `p, PROFILE, SLUG, PERM` per profile
permission and `p, owner, SLUG, PERM` for every catalog id; `g, EMAIL, PROFILE, SLUG` per
active membership and `g, OWNER, owner, SLUG`. FastEnforcer indexes policies by
(domain, permission) (cache_key_order=[1, 2]).

colabctl is measured two ways, on the same random question list as casbin:
- "decide, standings cached": a long-lived process that loaded every standing once
  (reading() + access.standings per account) and calls access.decide per question;
- "standing_of + decide": one indexed SQL query per question, inside one reading().
Every verdict of the three is compared; they must agree.

Load time: at each --load-sizes account count (10 collaborators per account), in a fresh
process each (stopped after --load-timeout, 90 s): colabctl opening the store and loading
every standing, and casbin building the enforcer from policy lines already in memory;
with the RSS each process grew by.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _proc import load_note
from make_store import StoreInfo, ensure_store

from colabctl.core.access import Standing, decide, standing_of, standings
from colabctl.core.catalog import catalog
from colabctl.core.identity import email_key
from colabctl.core.session import Context, reading

TARGET = 10.0
MODEL = """\
[request_definition]
r = sub, dom, obj

[policy_definition]
p = sub, dom, obj

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub, r.dom) && r.dom == p.dom && r.obj == p.obj
"""

Query = tuple[str, str, str]  # email, slug, permission id


def policy_lines(path: str) -> list[str]:
    """The store's facts as casbin policy lines."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        lines = [
            f"p, {name}, {slug}, {perm}"
            for name, slug, perm in conn.execute(
                "SELECT p.name, a.slug, pp.permission FROM profile_permissions pp"
                " JOIN profiles p ON p.id = pp.profile_id JOIN accounts a ON a.id = p.account_id"
            )
        ]
        every = [p.id for p in catalog().permissions]
        for slug, owner in conn.execute(
            "SELECT a.slug, u.email FROM accounts a JOIN users u ON u.id = a.owner_id"
        ):
            lines.extend(f"p, owner, {slug}, {perm}" for perm in every)
            lines.append(f"g, {owner}, owner, {slug}")
        lines.extend(
            f"g, {email}, {name}, {slug}"
            for email, name, slug in conn.execute(
                "SELECT u.email, p.name, a.slug FROM memberships m"
                " JOIN users u ON u.id = m.user_id JOIN profiles p ON p.id = m.profile_id"
                " JOIN accounts a ON a.id = m.account_id WHERE m.status = 'active'"
            )
        )
    finally:
        conn.close()
    return lines


def make_enforcer(lines: list[str], model_path: str) -> Any:
    import casbin  # type: ignore[import-untyped]
    from casbin.persist.adapters import string_adapter  # type: ignore[import-untyped]

    return casbin.FastEnforcer(
        model_path, string_adapter.StringAdapter("\n".join(lines)), cache_key_order=[1, 2]
    )


def load_standings(path: str) -> tuple[dict[tuple[str, str], Standing], set[str]]:
    """Every standing in the store, keyed by (email key, slug); and the slugs."""
    table: dict[tuple[str, str], Standing] = {}
    with reading(Context(db=path)) as s:
        slugs = [r[0] for r in s.conn.execute("SELECT slug FROM accounts ORDER BY id")]
        for slug in slugs:
            for st in standings(s, s.get_account(slug)):
                table[(email_key(st.user), slug)] = st
    return table, set(slugs)


def make_queries(path: str, n: int, seed: int) -> list[Query]:
    rng = random.Random(seed)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        members = conn.execute(
            "SELECT u.email, a.slug, m.status, m.profile_id FROM memberships m"
            " JOIN users u ON u.id = m.user_id JOIN accounts a ON a.id = m.account_id"
        ).fetchall()
        owners = conn.execute(
            "SELECT u.email, a.slug FROM accounts a JOIN users u ON u.id = a.owner_id"
        ).fetchall()
        held: dict[int, list[str]] = {}
        for pid, perm in conn.execute("SELECT profile_id, permission FROM profile_permissions"):
            held.setdefault(pid, []).append(perm)
    finally:
        conn.close()
    active = [m for m in members if m[2] == "active"]
    inactive = [m for m in members if m[2] != "active"]
    slugs = [o[1] for o in owners]
    every = [p.id for p in catalog().permissions]
    queries: list[Query] = []
    kinds = ["any", "held", "owner", "inactive", "elsewhere", "unknown-user", "unknown-account"]
    for kind in rng.choices(kinds, [35, 15, 10, 15, 15, 8, 2], k=n):
        if kind == "any":
            email, slug, _, _ = rng.choice(active)
            queries.append((email, slug, rng.choice(every)))
        elif kind == "held":
            email, slug, _, pid = rng.choice(active)
            queries.append((email, slug, rng.choice(held[pid])))
        elif kind == "owner":
            queries.append((*rng.choice(owners), rng.choice(every)))
        elif kind == "inactive":
            queries.append((*rng.choice(inactive)[:2], rng.choice(every)))
        elif kind == "elsewhere":
            queries.append((rng.choice(members)[0], rng.choice(slugs), rng.choice(every)))
        elif kind == "unknown-user":
            queries.append(
                (f"x{rng.randrange(10**6)}@example.org", rng.choice(slugs), "products.view")
            )
        else:
            queries.append((rng.choice(active)[0], "no-such-account", rng.choice(every)))
    return queries


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * 4096 / 1e6


def _load_child(kind: str, path: str) -> None:
    """One load, in this fresh process: print its seconds and RSS growth as JSON."""
    if kind == "casbin":
        lines = policy_lines(path)
        with tempfile.TemporaryDirectory() as tmp:
            model = Path(tmp) / "model.conf"
            model.write_text(MODEL)
            # imported before timing, as colabctl's modules are
            import casbin  # noqa: F401

            before = rss_mb()
            started = time.perf_counter()
            enforcer = make_enforcer(lines, str(model))
            elapsed = time.perf_counter() - started
        assert enforcer is not None
        size = len(lines)
    else:
        before = rss_mb()
        started = time.perf_counter()
        table, _ = load_standings(path)
        elapsed = time.perf_counter() - started
        size = len(table)
    print(json.dumps({"seconds": elapsed, "rss_mb": rss_mb() - before, "size": size}))


def throughput(
    fn: Callable[[list[Query]], list[bool]], queries: list[Query]
) -> tuple[float, list[bool]]:
    started = time.perf_counter()
    verdicts = fn(queries)
    return len(queries) / (time.perf_counter() - started), verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--collaborators-per-account", type=int, default=10)
    parser.add_argument("--queries", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; median kept")
    parser.add_argument("--load-sizes", default="1000,10000", help="account counts; '' skips")
    parser.add_argument(
        "--load-timeout", type=float, default=90, help="seconds before a load is stopped"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--_load", nargs=2, metavar=("KIND", "STORE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._load:
        _load_child(*args._load)
        return

    info: StoreInfo = ensure_store(
        args.accounts, args.accounts * args.collaborators_per_account, seed=args.seed
    )
    queries = make_queries(info.path, args.queries, args.seed)
    lines = policy_lines(info.path)
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "model.conf"
        model.write_text(MODEL)
        enforcer = make_enforcer(lines, str(model))
    table, known = load_standings(info.path)
    by_id = catalog().by_id
    print(
        f"{len(queries):,} questions; casbin: {len(lines):,} policy lines; "
        f"colabctl: {len(table):,} standings cached"
    )

    def colabctl_cached(qs: list[Query]) -> list[bool]:
        out = []
        for email, slug, perm in qs:
            st = table.get((email_key(email), slug))
            if st is None:
                st = Standing(email, slug if slug in known else None)
            out.append(decide(st, by_id[perm])[0])
        return out

    def colabctl_sql(qs: list[Query]) -> list[bool]:
        with reading(Context(db=info.path)) as s:
            return [decide(standing_of(s, slug, email), by_id[perm])[0] for email, slug, perm in qs]

    def casbin_fast(qs: list[Query]) -> list[bool]:
        enforce = enforcer.enforce
        return [bool(enforce(email, slug, perm)) for email, slug, perm in qs]

    contenders = {
        "colabctl decide, standings cached": colabctl_cached,
        "colabctl standing_of + decide": colabctl_sql,
        "casbin FastEnforcer": casbin_fast,
    }
    rates: dict[str, list[float]] = {name: [] for name in contenders}
    verdicts: dict[str, list[bool]] = {}
    print(f"{load_note()}; {args.rounds} alternating rounds")
    for i in range(args.rounds):
        order = list(contenders.items())
        for name, fn in order if i % 2 == 0 else reversed(order):
            rate, verdicts[name] = throughput(fn, queries)
            rates[name].append(rate)
    reference = verdicts["casbin FastEnforcer"]
    for name, got in verdicts.items():
        wrong = sum(a != b for a, b in zip(got, reference, strict=True))
        if wrong:
            sys.exit(f"{name} disagrees with casbin on {wrong} of {len(got)} questions")
    print(f"all three agree on every verdict ({sum(reference):,} allowed)")
    medians = {name: sorted(r)[len(r) // 2] for name, r in rates.items()}
    base = medians["casbin FastEnforcer"]
    for name, rate in medians.items():
        spread = ", ".join(f"{r:,.0f}" for r in rates[name])
        print(
            f"  {name:36} {rate:>11,.0f} checks/s  {1e6 / rate:7.2f} us/check  "
            f"{rate / base:6.1f}x casbin   (rounds: {spread})"
        )
    for name in ("colabctl decide, standings cached", "colabctl standing_of + decide"):
        ratio = medians[name] / base
        verdict = "meets" if ratio >= TARGET else "BELOW"
        print(f"{name}: {ratio:.1f}x casbin ({verdict} the {TARGET:.0f}x target)")

    sizes = [int(x) for x in args.load_sizes.split(",") if x.strip()]
    if sizes:
        print("load (fresh process each; RSS growth of that process):")
    for size in sizes:
        store = ensure_store(
            size, size * args.collaborators_per_account, seed=args.seed, quiet=True
        )
        for kind, label in (
            ("colabctl", "colabctl open + all standings"),
            ("casbin", "casbin FastEnforcer build"),
        ):
            try:
                result = subprocess.run(
                    [sys.executable, __file__, "--_load", kind, store.path],
                    capture_output=True,
                    text=True,
                    check=True,
                    timeout=args.load_timeout,
                )
            except subprocess.TimeoutExpired:
                print(f"  {size:>6,} accounts  {label:31} over {args.load_timeout:g} s: stopped")
                continue
            got = json.loads(result.stdout.strip().splitlines()[-1])
            what = "policy lines" if kind == "casbin" else "standings"
            print(
                f"  {size:>6,} accounts  {label:31} {got['seconds']:7.2f} s"
                f"  +{got['rss_mb']:6.0f} MB RSS  ({got['size']:,} {what})"
            )
    print("(a 2-core machine shared with other work: trust medians and ratios, not single runs)")


if __name__ == "__main__":
    main()
