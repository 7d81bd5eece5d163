"""Build a realistic colabctl store fast: bulk inserts, not the CLI.

    python bench/make_store.py OUT.db --accounts 10000 --collaborators 100000 [--seed N]

The schema comes from opening the store with `colabctl.store.db.open_for_write`, so the
migrations, the pragmas and WAL are the real ones; the rows then go in through
`executemany` inside that store's one BEGIN IMMEDIATE transaction.

Shape (all accounts are legal entities, BR, each with a valid compact CNPJ):
- one "agency" owner owns `--agency-accounts` accounts (default: a tenth, at most
  1,000), so that `can --batch` has an actor who may ask about many accounts; every
  other account has its own owner;
- four profiles per account, one per preset in profiles/*.toml;
- `--collaborators` live-or-past memberships, spread evenly over the accounts: ~86%
  active, 5% pending, 4% expired, 4% revoked, 1% declined; 90% of them are distinct
  people, the rest work for several accounts; 3% of live ones also have an older
  revoked row (history the standing query must skip);
- pending and active rows expire 30-90 days after the build.

"Grants" counts (account, user, permission) triples that `decide` allows: through an
active membership's profile, plus the owner's (every catalog id, owner-only included).

The other benchmarks call `ensure_store()`, which reuses a cached store under
bench/stores/ when its manifest (a .json beside it) matches.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from colabctl.core.catalog import catalog
from colabctl.core.presets import list_presets
from colabctl.store.db import open_for_write

BUILDER_VERSION = 1
STORES_DIR = Path(__file__).resolve().parent / "stores"
MAX_REUSE_AGE_S = 20 * 86400  # live rows expire 30+ days after a build
STATUS_WEIGHTS = {"active": 86, "pending": 5, "expired": 4, "revoked": 4, "declined": 1}


class StoreInfo(NamedTuple):
    path: str
    seed: int
    accounts: int
    users: int
    collaborators: int  # (account, user) pairs with a membership row
    membership_rows: int
    active: int
    profiles: int
    profile_permissions: int
    profile_grants: int  # through active memberships
    owner_grants: int
    agency_owner: str | None
    agency_accounts: int
    built_at: float
    build_seconds: float

    @property
    def grants(self) -> int:
        return self.profile_grants + self.owner_grants

    def summary(self) -> str:
        return (
            f"accounts {self.accounts:,} | users {self.users:,} | collaborators "
            f"{self.collaborators:,} ({self.active:,} active; {self.membership_rows:,} membership "
            f"rows) | profiles {self.profiles:,} | grants {self.grants:,} "
            f"({self.profile_grants:,} via profiles + {self.owner_grants:,} owners')"
        )


def cnpj(root: int) -> str:
    """A valid compact CNPJ for an 8-digit root, branch 0001."""
    digits = [int(c) for c in f"{root:08d}0001"]
    for weights in ([5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2], [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]):
        rest = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        digits.append(0 if rest < 2 else 11 - rest)
    return "".join(map(str, digits))


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def owner_email(account_index: int) -> str:
    return f"owner{account_index:05d}@example.com"


def collaborator_email(user_index: int) -> str:
    return f"c{user_index:07d}@team.example.com"


def slug_of(account_index: int) -> str:
    return f"acct-{account_index:05d}"


AGENCY_EMAIL = "agency@example.com"


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def build_store(
    path: Path,
    *,
    accounts: int,
    collaborators: int,
    seed: int = 0,
    agency_accounts: int | None = None,
) -> StoreInfo:
    """Create a new store at `path` (replacing any file there) and fill it."""
    started = time.perf_counter()
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    now_iso = _iso(now)
    if agency_accounts is None:
        agency_accounts = min(1000, accounts // 10)
    agency_accounts = min(agency_accounts, accounts)
    presets = list_presets()
    n_catalog = len(catalog().permissions)

    path.parent.mkdir(parents=True, exist_ok=True)
    _remove(path)
    store = open_for_write(path)  # the real migrations, pragmas and WAL
    conn = store.conn
    # Only this connection, only for the build: the rows are throwaway.
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -200000")

    # users: the agency (if any), one owner per other account, then the collaborators
    n_collab_users = max(1, int(collaborators * 0.9)) if collaborators else 0
    user_rows: list[tuple[int, str, str, str | None, str]] = []
    owner_of: list[int] = []
    next_id = 1
    if agency_accounts:
        user_rows.append((next_id, AGENCY_EMAIL, AGENCY_EMAIL, "Agency", now_iso))
        agency_id = next_id
        next_id += 1
    for a in range(accounts):
        if a < agency_accounts:
            owner_of.append(agency_id)
            continue
        email = owner_email(a)
        user_rows.append((next_id, email, email, f"Owner {a}", now_iso))
        owner_of.append(next_id)
        next_id += 1
    first_collab_id = next_id
    for u in range(n_collab_users):
        email = collaborator_email(u)
        user_rows.append((next_id, email, email, None, now_iso))
        next_id += 1

    account_rows = [
        (
            a + 1,
            slug_of(a),
            f"Account {a}",
            owner_of[a],
            "BR",
            cnpj(10_000_000 + a),
            now_iso,
        )
        for a in range(accounts)
    ]

    profile_rows: list[tuple[int, int, str, str, str, str]] = []
    pp_rows: list[tuple[int, str]] = []
    profiles_of: list[list[tuple[int, int]]] = []  # per account: (profile id, n perms)
    for a in range(accounts):
        mine = []
        for preset in presets:
            pid = len(profile_rows) + 1
            profile_rows.append(
                (pid, a + 1, preset.name, preset.description, json.dumps(preset.title), now_iso)
            )
            pp_rows.extend((pid, perm) for perm in preset.permissions)
            mine.append((pid, len(preset.permissions)))
        profiles_of.append(mine)

    statuses = list(STATUS_WEIGHTS)
    weights = list(STATUS_WEIGHTS.values())
    member_rows: list[tuple[Any, ...]] = []
    seen: set[tuple[int, int]] = set()
    active = profile_grants = 0
    history: list[tuple[Any, ...]] = []
    day = timedelta(days=1)
    for j in range(collaborators):
        a = j % accounts
        if j < n_collab_users:
            u = j
        else:  # someone already working elsewhere
            u = rng.randrange(n_collab_users)
            while (a, u) in seen:
                u = rng.randrange(n_collab_users)
        seen.add((a, u))
        user_id = first_collab_id + u
        pid, n_perms = rng.choice(profiles_of[a])
        status = rng.choices(statuses, weights)[0]
        invited = now - day * rng.uniform(1, 400)
        expires = invited + 7 * day
        responded = ended = None
        if status == "active":
            responded = invited + day * rng.uniform(0, 6)
            expires = now + day * rng.uniform(30, 90)
            active += 1
            profile_grants += n_perms
        elif status == "pending":
            invited = now - day * rng.uniform(0, 6)
            expires = now + day * rng.uniform(30, 60)
        elif status == "expired":
            ended = expires
        else:  # revoked or declined
            responded = invited + day * rng.uniform(0, 6)
            ended = responded if status == "declined" else responded + day * rng.uniform(1, 30)
        row = (
            a + 1,
            user_id,
            pid,
            status,
            owner_of[a],
            _iso(invited),
            _iso(expires),
            responded and _iso(responded),
            ended and _iso(ended),
        )
        member_rows.append(row)
        if status in ("active", "pending") and rng.random() < 0.03:
            old_invited = invited - day * rng.uniform(30, 300)
            history.append(
                (
                    a + 1,
                    user_id,
                    rng.choice(profiles_of[a])[0],
                    "revoked",
                    owner_of[a],
                    _iso(old_invited),
                    _iso(old_invited + 7 * day),
                    _iso(old_invited + day),
                    _iso(old_invited + 20 * day),
                )
            )

    with store.transaction():
        conn.executemany(
            "INSERT INTO users (id, email, email_key, name, created_at) VALUES (?, ?, ?, ?, ?)",
            user_rows,
        )
        conn.executemany(
            "INSERT INTO accounts (id, slug, name, owner_id, tax_country, tax_id, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            account_rows,
        )
        conn.executemany(
            "INSERT INTO profiles (id, account_id, name, description, title, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            profile_rows,
        )
        conn.executemany(
            "INSERT INTO profile_permissions (profile_id, permission) VALUES (?, ?)", pp_rows
        )
        conn.executemany(
            "INSERT INTO memberships (account_id, user_id, profile_id, status, invited_by,"
            " invited_at, expires_at, responded_at, ended_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _chain(member_rows, history),
        )
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()

    return StoreInfo(
        path=str(path),
        seed=seed,
        accounts=accounts,
        users=len(user_rows),
        collaborators=len(member_rows),
        membership_rows=len(member_rows) + len(history),
        active=active,
        profiles=len(profile_rows),
        profile_permissions=len(pp_rows),
        profile_grants=profile_grants,
        owner_grants=accounts * n_catalog,
        agency_owner=AGENCY_EMAIL if agency_accounts else None,
        agency_accounts=agency_accounts,
        built_at=time.time(),
        build_seconds=time.perf_counter() - started,
    )


def _chain(*parts: list[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    for part in parts:
        yield from part


def store_path(accounts: int, collaborators: int, seed: int, directory: Path = STORES_DIR) -> Path:
    return directory / f"colabctl-{accounts}a-{collaborators}c-s{seed}.db"


def ensure_store(
    accounts: int,
    collaborators: int,
    *,
    seed: int = 0,
    directory: Path = STORES_DIR,
    rebuild: bool = False,
    quiet: bool = False,
) -> StoreInfo:
    """A store of that shape under `directory`: the cached one if its manifest matches."""
    path = store_path(accounts, collaborators, seed, directory)
    manifest = path.with_suffix(".json")
    if not rebuild and path.exists() and manifest.exists():
        try:
            data = json.loads(manifest.read_text())
        except ValueError:
            data = {}
        if (
            data.get("builder") == BUILDER_VERSION
            and time.time() - data.get("built_at", 0) < MAX_REUSE_AGE_S
        ):
            info = StoreInfo(**data["info"])
            if not quiet:
                print(f"reusing {path}: {info.summary()}")
            return info
    info = build_store(path, accounts=accounts, collaborators=collaborators, seed=seed)
    manifest.write_text(
        json.dumps({"builder": BUILDER_VERSION, "built_at": info.built_at, "info": info._asdict()})
    )
    if not quiet:
        print(f"built {path} in {info.build_seconds:.1f} s: {info.summary()}")
    return info


class Check(NamedTuple):
    actor: str  # the account's owner
    user: str
    permission: str
    account: str


def sample_check(path: str | Path, *, seed: int = 0, allowed: bool = True) -> Check:
    """A `can` question on a regular (non-agency) account, asked by its owner: an active
    collaborator and a permission their profile grants (or, allowed=False, one it does not)."""
    rng = random.Random(seed)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT a.slug, o.email, u.email, m.profile_id FROM memberships m"
            " JOIN accounts a ON a.id = m.account_id JOIN users o ON o.id = a.owner_id"
            " JOIN users u ON u.id = m.user_id"
            " WHERE m.status = 'active' AND o.email <> ? ORDER BY m.id LIMIT 500",
            (AGENCY_EMAIL,),
        ).fetchall()
        slug, owner, user, pid = rng.choice(rows)
        held = [
            r[0]
            for r in conn.execute(
                "SELECT permission FROM profile_permissions WHERE profile_id = ?", (pid,)
            )
        ]
    finally:
        conn.close()
    if allowed:
        perm = rng.choice(sorted(held))
    else:
        perm = rng.choice(sorted(p.id for p in catalog().delegable if p.id not in held))
    return Check(owner, user, perm, slug)


def _sanity(info: StoreInfo) -> None:
    """The store answers like one the CLI made: an owner's question gets the expected yes."""
    from colabctl.core import access
    from colabctl.core.session import Context
    from colabctl.core.taxid import validate_business_tax_id

    validate_business_tax_id(cnpj(10_000_000), "BR")
    q = sample_check(info.path)
    answer = access.can(
        Context(db=info.path, actor=q.actor), q.user, [q.permission], account=q.account
    )
    assert answer.allowed, answer
    q = sample_check(info.path, allowed=False)
    answer = access.can(
        Context(db=info.path, actor=q.actor), q.user, [q.permission], account=q.account
    )
    assert not answer.allowed, answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="store file to (re)create")
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--collaborators", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--agency-accounts",
        type=int,
        default=None,
        help="accounts owned by agency@example.com (default: a tenth, at most 1,000)",
    )
    args = parser.parse_args()
    info = build_store(
        args.out,
        accounts=args.accounts,
        collaborators=args.collaborators,
        seed=args.seed,
        agency_accounts=args.agency_accounts,
    )
    _sanity(info)
    print(f"built {info.path} in {info.build_seconds:.2f} s")
    print(f"  accounts       {info.accounts:>10,}  ({info.agency_accounts:,} owned by the agency)")
    print(f"  users          {info.users:>10,}")
    print(f"  collaborators  {info.collaborators:>10,}  ({info.active:,} active)")
    print(f"  memberships    {info.membership_rows:>10,}  rows, history included")
    print(f"  profiles       {info.profiles:>10,}  ({info.profile_permissions:,} permission rows)")
    print(
        f"  grants         {info.grants:>10,}  ({info.profile_grants:,} through active profiles"
        f" + {info.owner_grants:,} owners')"
    )
    size = Path(info.path).stat().st_size
    print(f"  file           {size / 1e6:>10.1f}  MB")


if __name__ == "__main__":
    main()
