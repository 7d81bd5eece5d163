"""THE decision function. Every "can X do Y" answer (`can`, `who-can`, `matrix`,
`whoami`, `collaborator show`) comes from `decide()`, so they never disagree; and
every "may the actor look at or change this account" comes from the actor's
standing here (`readable`, `managed`), so no two commands disagree about that either."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import lru_cache
from itertools import chain, islice
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple, cast

from colabctl.core.catalog import Catalog, Permission, catalog
from colabctl.core.identity import email_key
from colabctl.core.session import (
    ACCOUNT_SQL,
    Account,
    Context,
    Session,
    User,
    current_membership_sql,
    live_sql,
    owned_sql,
    reading,
    status_sql,
)
from colabctl.errors import ExitCode, Forbidden, Invalid
from colabctl.i18n import _

if TYPE_CHECKING:
    from colabctl.core import shapes

_REASON_OF_STATUS = {
    "pending": "invitation-pending",
    "expired": "invitation-expired",
    "declined": "invitation-declined",
    "revoked": "revoked",
    # an active collaborator whose access_until has passed (session.STATUS_SQL)
    "ended": "access-ended",
}


class Standing(NamedTuple):
    """Everything access depends on: one person in one account."""

    user: str
    account: str | None  # None: no such account
    owner: bool = False
    status: str | None = None  # effective membership status; None: never a collaborator
    profile: str | None = None
    granted: frozenset[str] = frozenset()
    invited_at: str | None = None
    expires_at: str | None = None
    ended_at: str | None = None
    access_until: str | None = None

    @property
    def role(self) -> str | None:
        if self.owner:
            return "owner"
        return self.profile if self.status == "active" else None


def decide(standing: Standing, perm: Permission) -> tuple[bool, str]:
    """(allowed, reason), in this order (docs/commands.md): unknown account; owner;
    owner-only id; membership and its status (`access-ended` for a collaborator whose
    time-boxed access has passed); the profile."""
    if standing.account is None:
        return False, "unknown-account"
    if standing.owner:
        return True, "owner"
    if perm.owner_only:
        return False, "owner-only"
    if standing.status is None:
        return False, "not-a-collaborator"
    if standing.status != "active":
        return False, _REASON_OF_STATUS[standing.status]
    if perm.id in standing.granted:
        return True, f"profile:{standing.profile}"
    return False, "not-granted"


def held_permissions(standing: Standing) -> list[Permission]:
    """What the standing allows, in catalog order."""
    return [p for p in catalog().permissions if decide(standing, p)[0]]


# -- loading standings -------------------------------------------------------


# What a membership row says, after (account, user): its status, profile, the profile's
# permissions (space-separated; or PERMISSIONS in their place), and its dates.
def _membership_columns(now: str = ":now", permissions: str = "") -> str:
    permissions = permissions or (
        "(SELECT group_concat(pp.permission, ' ') FROM profile_permissions pp"
        " WHERE pp.profile_id = m.profile_id)"
    )
    return (
        f"{status_sql(now)}, p.name, {permissions},"
        " m.invited_at, m.expires_at, m.ended_at, m.access_until"
    )


_MEMBERSHIP_COLUMNS = _membership_columns()

# The membership that speaks for user u in account a. Its account and user are spelt out
# beside its id (which follows from them): a server whose row-level security guards
# memberships looks the row up by those plain columns, where it may not by the id's
# subqueries (docs/postgres.md, "Speed").
_CURRENT_MEMBERSHIP = (
    f"m.account_id = a.id AND m.user_id = u.id AND m.id = {current_membership_sql('a.id', 'u.id')}"
)

_STANDING_SQL = (
    f"SELECT a.slug, a.owner_id = u.id, {_MEMBERSHIP_COLUMNS}"
    " FROM accounts a"
    " LEFT JOIN users u ON u.email_key = :key"
    f" LEFT JOIN memberships m ON {_CURRENT_MEMBERSHIP}"
    " LEFT JOIN profiles p ON p.id = m.profile_id"
    " WHERE a.slug = :slug"
)

_STANDINGS_SQL = (
    f"SELECT u.email, {_MEMBERSHIP_COLUMNS}"
    " FROM memberships m JOIN users u ON u.id = m.user_id"
    " LEFT JOIN profiles p ON p.id = m.profile_id"
    f" WHERE m.account_id = :a AND m.id = {current_membership_sql('m.account_id', 'm.user_id')}"
    # an owner who was once a collaborator here keeps that history row: they are listed
    # once, as the owner
    " AND m.user_id <> :owner"
    " ORDER BY u.email_key"
)


# Many standings in one query (`can --batch`): one row per (key, slug) pair of the VALUES
# list whose account exists, with _STANDING_SQL's columns after the pair, but the profile's
# id where its permissions would be (a batch reads each profile's once: `_permissions`).
# Both engines name a VALUES list's columns column1, column2. The parameters are
# positional, the time first: sqlite3 binds each named one by a search through all the
# names, slow for a thousand. The list is padded to a power of two (with pairs that match
# no account), so that a batch sends a few statement texts, each planned once and reused
# (on a server, planning the row-level security policies costs more than running them).
@lru_cache(maxsize=8)
def _standings_sql(pairs: int) -> str:
    values = ", ".join(["(?, ?)"] * pairs)
    columns = _membership_columns("t.now", permissions="m.profile_id")
    return (
        f"SELECT q.column1, q.column2, a.slug, a.owner_id = u.id, {columns}"
        f" FROM (SELECT ? AS now) AS t CROSS JOIN (VALUES {values}) AS q"
        " JOIN accounts a ON a.slug = q.column2"
        " LEFT JOIN users u ON u.email_key = q.column1"
        f" LEFT JOIN memberships m ON {_CURRENT_MEMBERSHIP}"
        " LEFT JOIN profiles p ON p.id = m.profile_id"
    )


def _standing(
    email: str,
    slug: str,
    owner: bool,
    status: str | None,
    profile: str | None,
    perms: str | None,
    *dates: str | None,
) -> Standing:
    """A Standing from a row of _MEMBERSHIP_COLUMNS: only an active member holds grants."""
    granted = frozenset(perms.split()) if perms and status == "active" else frozenset()
    return Standing(email, slug, owner, status, profile, granted, *dates)


def standing_of(s: Session, account: Account | str, email: str) -> Standing:
    """One indexed query: the person's standing in the account."""
    slug = account if isinstance(account, str) else account.slug
    row = s.conn.execute(
        _STANDING_SQL, {"key": email_key(email), "slug": slug, "now": s.now_iso}
    ).fetchone()
    if row is None:
        return Standing(email, None)
    return _standing(email, row[0], bool(row[1]), *row[2:])


def standings_of(
    s: Session, asked: Mapping[tuple[str, str], str], held: dict[int, str | None] | None = None
) -> dict[tuple[str, str], Standing]:
    """standing_of for many people in many accounts in one query: ASKED maps (email key,
    slug) to the email to name in the standing (None account where there is no such
    account). What one round trip per pair would cost on a server. HELD: the permissions
    of the profiles read so far (kept by a batch), filled with those read now."""
    found = {key: Standing(email, None) for key, email in asked.items()}
    if not asked:
        return found
    size = 1 << max(3, (len(asked) - 1).bit_length())
    params = [s.now_iso, *chain.from_iterable(asked), *("", "") * (size - len(asked))]
    rows = s.conn.execute(_standings_sql(size), params).fetchall()
    held = {} if held is None else held
    _permissions(s, {row[6] for row in rows if row[6] is not None} - held.keys(), held)
    for row in rows:
        pair = (row[0], row[1])
        perms = held.get(row[6]) if row[6] is not None else None
        found[pair] = _standing(asked[pair], row[2], bool(row[3]), row[4], row[5], perms, *row[7:])
    return found


def _permissions(s: Session, profiles: set[int], held: dict[int, str | None]) -> None:
    """The permissions (space-separated) of PROFILES, one query, into HELD. The ids go in
    as a list, padded like the standings' pairs (with -1, no profile's id): a server
    looks a list's ids up in its index, row-level security or not."""
    if not profiles:
        return
    size = 1 << max(3, (len(profiles) - 1).bit_length())
    held.update(dict.fromkeys(profiles))
    held.update(
        s.conn.execute(
            "SELECT profile_id, group_concat(permission, ' ') FROM profile_permissions"
            f" WHERE profile_id IN ({', '.join('?' * size)}) GROUP BY profile_id",
            [*sorted(profiles), *[-1] * (size - len(profiles))],
        ).fetchall()
    )


def standings(s: Session, account: Account) -> list[Standing]:
    """The owner first, then everyone with a membership row (their current one), by email."""
    rows = s.conn.execute(
        _STANDINGS_SQL, {"a": account.id, "owner": account.owner_id, "now": s.now_iso}
    ).fetchall()
    owner = Standing(account.owner_email, account.slug, owner=True)
    return [owner, *(_standing(row[0], account.slug, False, *row[1:]) for row in rows)]


# -- who may look, who may change ------------------------------------------------

_CANDIDATES_SQL = (
    f"SELECT slug FROM accounts WHERE id IN ({owned_sql(':u')}) UNION"
    " SELECT a.slug FROM memberships m JOIN accounts a ON a.id = m.account_id"
    f" WHERE m.user_id = :u AND {live_sql()} ORDER BY 1"
)


def roles_of(s: Session, user: User) -> list[tuple[str, str]]:
    """(slug, role) for every account where the user has a role (Standing.role): the
    accounts they own or actively collaborate on. The SQL only narrows the candidates."""
    found = []
    for (slug,) in s.conn.execute(_CANDIDATES_SQL, {"u": user.id}).fetchall():
        role = standing_of(s, slug, user.email).role
        if role is not None:
            found.append((slug, role))
    return found


def choose_account(s: Session, explicit: str | None = None) -> Account:
    """The account a command is about (docs/commands.md, "Which account"): -a, else
    $COLABCTL_ACCOUNT, else the acting user's current one, else their only one."""
    slug = s.ctx.account_choice(explicit)
    if slug:
        return s.get_account(slug)
    choices = [slug for slug, _role in roles_of(s, s.actor())]
    if len(choices) == 1:
        return s.get_account(choices[0])
    if not choices:
        raise Invalid(
            _("no account given, and you have none"),
            hint=_("create one with `colabctl account create SLUG --name NAME`"),
        )
    raise Invalid(
        _("which account? you have several: %(accounts)s") % {"accounts": ", ".join(choices)},
        hint=_("pass -a SLUG, or set one with `colabctl use SLUG`"),
    )


def actor_standing(s: Session, acct: Account) -> Standing:
    """The actor's standing in ACCT, refusing anyone without a role there with the very
    answer a missing account gets (exit 3): outsiders learn nothing."""
    mine = standing_of(s, acct, s.actor().email)
    if mine.role is None:
        raise s.no_account(acct.slug)
    return mine


def readable(s: Session, explicit: str | None = None) -> Account:
    """The account, if the actor may read about it: its owner and active collaborators."""
    acct = choose_account(s, explicit)
    actor_standing(s, acct)
    return acct


def managed(s: Session, explicit: str | None = None, *, legal_entity: bool = True) -> Account:
    """The account, if the actor may change it: only its owner; a collaborator (who knows
    the account exists) gets 5, anyone else 3. To create or hand out profiles (legal_entity)
    it must also have a business tax ID."""
    acct = choose_account(s, explicit)
    if not actor_standing(s, acct).owner:
        raise not_managed(acct)
    if legal_entity and not acct.legal_entity:
        raise not_legal_entity(acct.slug)
    return acct


def owned_accounts(s: Session) -> list[Account]:
    """Every account the actor owns, by slug: what `--all-accounts` means for the owner's
    commands (`export`, `review`) and which accounts a team file may change. With
    `managed`, the one place that decides ownership."""
    rows = s.conn.execute(
        f"{ACCOUNT_SQL} WHERE a.id IN ({owned_sql('?')}) ORDER BY a.slug", (s.actor().id,)
    ).fetchall()
    return [Account.of_row(row) for row in rows]


def not_managed(acct: Account) -> Forbidden:
    """What a non-owner who may know the account (an active collaborator) is told."""
    return Forbidden(
        _("only the owner of %(account)s (%(owner)s) can do that")
        % {"account": acct.slug, "owner": acct.owner_email}
    )


def not_legal_entity(slug: str) -> Forbidden:
    return Forbidden(
        _("%(account)s is not a legal entity: profiles and collaborators need a business tax ID")
        % {"account": slug},
        hint=_("register one with `colabctl account set-tax-id %(account)s ID --country CC`")
        % {"account": slug},
    )


def may_ask(standing_of_actor: Standing, about: str) -> bool:
    """`can` answers the owner, active collaborators, and a person asking about themself
    where they have a membership row (of any status: they were told of it); anyone else
    gets the missing account's answer, so that not even "not a collaborator" tells them
    the slug exists. (On a server, a stranger cannot read the account either.)"""
    if standing_of_actor.role is not None:
        return True
    return standing_of_actor.status is not None and email_key(about) == email_key(
        standing_of_actor.user
    )


# -- the commands ------------------------------------------------------------


class Answer(NamedTuple):
    account: str  # as asked: kept when no such account exists
    standing: Standing
    results: list[tuple[Permission, bool, str]]
    allowed: bool

    def as_json(self) -> shapes.Answer:
        return {
            "user": self.standing.user,
            "account": self.account,
            "allowed": self.allowed,
            "results": [
                {"permission": p.id, "allowed": ok, "reason": why} for p, ok, why in self.results
            ],
        }


def check(account: str, standing: Standing, perms: list[Permission], *, any_: bool) -> Answer:
    results = [(p, *decide(standing, p)) for p in perms]
    verdicts = [ok for _, ok, _ in results]
    return Answer(account, standing, results, any(verdicts) if any_ else all(verdicts))


def can(
    ctx: Context, email: str, refs: list[str], *, account: str | None = None, any_: bool = False
) -> Answer:
    perms = [catalog().resolve(r) for r in refs]
    with reading(ctx) as s:
        me = s.known_actor()  # no actor at all: 5, before anything is looked up
        slug = ctx.account_choice(account)
        if slug is None:
            slug = choose_account(s, None).slug
        standing = standing_of(s, slug, email)
        if standing.account is not None and (
            me is None or not may_ask(standing_of(s, slug, me.email), email)
        ):
            standing = Standing(email, None)  # a stranger or an outsider: as if no account
        return check(slug, standing, perms, any_=any_)


class Holder(NamedTuple):
    """One person who holds a permission (`who-can`)."""

    user: str
    account: str
    role: str
    reason: str

    def as_json(self) -> shapes.Holder:
        return {
            "user": self.user,
            "account": self.account,
            "role": self.role,
            "reason": self.reason,
        }


def who_can(
    ctx: Context, ref: str, *, account: str | None = None, all_accounts: bool = False
) -> list[Holder]:
    perm = catalog().resolve(ref)
    with reading(ctx) as s:
        if all_accounts:
            me = s.actor()
            accounts = [s.get_account(slug) for slug, _ in roles_of(s, me)]
        else:
            accounts = [readable(s, account)]
        found = []
        for acct in accounts:
            for st in standings(s, acct):
                allowed, reason = decide(st, perm)
                if allowed:
                    assert st.role is not None  # whoever holds a permission has a role
                    found.append(Holder(st.user, acct.slug, st.role, reason))
        return found


class Matrix(NamedTuple):
    account: str
    people: list[Standing]
    permissions: list[Permission]
    grants: dict[str, list[str]]

    def as_json(self) -> shapes.Matrix:
        return {
            "account": self.account,
            "people": [
                {
                    "user": p.user,
                    "role": "owner" if p.owner else p.profile,
                    "status": "owner" if p.owner else p.status,
                }
                for p in self.people
            ],
            "grants": self.grants,
            "permissions": [p.id for p in self.permissions],
        }


def matrix(ctx: Context, *, account: str | None = None) -> Matrix:
    with reading(ctx) as s:
        return matrix_in(s, readable(s, account))


def matrix_in(s: Session, acct: Account) -> Matrix:
    """`matrix` of an account the caller may read (`report` shows the same grid)."""
    people = [p for p in standings(s, acct) if p.owner or p.status in ("active", "pending")]
    grants = {p.user: [perm.id for perm in held_permissions(p)] for p in people}
    return Matrix(acct.slug, people, catalog().permissions, grants)


# `can --batch` reads this many lines ahead and loads the standings they need in one query
# (per chunk, the pairs not yet cached): on a server, one round trip per pair would cost
# more than answering. Longer chunks were slower on both engines (100k checks, in process:
# 200 lines ~2.7 s wall on PostgreSQL, 500 ~3.2 s, 1,000 ~4 s; SQLite's CPU likewise).
BATCH_CHUNK = 200


class Answered(NamedTuple):
    """A `can --batch` line answered."""

    question: dict[str, Any]  # the line's object: user, account, permission, any other key
    allowed: bool
    reason: str

    def as_json(self) -> shapes.BatchAnswer:
        # the question echoed whole: its three keys are strings (_question), others kept
        return cast(
            "shapes.BatchAnswer", {**self.question, "allowed": self.allowed, "reason": self.reason}
        )


class Refused(NamedTuple):
    """A `can --batch` question naming an unknown permission."""

    question: dict[str, Any]
    error: str

    def as_json(self) -> shapes.BatchRefused:
        return cast("shapes.BatchRefused", {**self.question, "error": self.error})


_UNSHOWN: Any = object()


class Unread(NamedTuple):
    """A `can --batch` line that is no question: its number, why, and its JSON value when
    it is JSON but not such an object."""

    line: int
    error: str
    value: Any = _UNSHOWN

    def as_json(self) -> shapes.BatchUnread:
        if self.value is _UNSHOWN:
            return {"line": self.line, "error": self.error}
        return {"line": self.line, "input": self.value, "error": self.error}


BatchLine = Answered | Refused | Unread
# A batch line read: its question (the object and the permission it names), or the
# answer of a line that has none.
_Read = tuple[dict[str, Any], Permission] | Refused | Unread


def batch(
    ctx: Context, lines: Iterable[str], *, chunk: int = BATCH_CHUNK
) -> Iterator[tuple[BatchLine, ExitCode]]:
    """`can --batch`: one output line per input line, in order, with the exit code
    that line calls for (OK answered, INVALID malformed). One process,
    one read transaction; standings are cached per (user, account), loaded CHUNK lines
    at a time (chunk=1: each line answered before the next is read, for a terminal)."""
    import json

    cat = catalog()
    # one decoder for every line: json.loads with an option makes a new one per call
    decode = json.JSONDecoder(parse_constant=_not_json).decode
    with reading(ctx) as s:
        # who asks: a registered user, or a stranger (whose standing anywhere is none, so
        # every existing account answers as a missing one); with no actor at all, 5
        # before any line is read
        me = s.known_actor()
        asker = me.email if me is not None else str(ctx.actor_email())
        cache: dict[tuple[str, str], Standing] = {}
        held: dict[int, str | None] = {}  # each profile's permissions, read once
        allowed_to_ask: dict[str, Standing] = {}
        keys: dict[str, str] = {}  # email -> its key, each computed once

        numbered = enumerate(lines, 1)
        while block := [_question(decode, cat, n, line) for n, line in islice(numbered, chunk)]:
            # per line: (email key, slug) of a question, None for a line that is none
            pairs: list[tuple[str, str] | None] = []
            for read in block:
                if isinstance(read, (Refused, Unread)):
                    pairs.append(None)
                    continue
                email = read[0]["user"]
                key = keys.get(email)
                if key is None:
                    key = keys[email] = email_key(email)
                pairs.append((key, read[0]["account"]))
            if chunk > 1:
                _load_standings(s, asker, block, pairs, (cache, allowed_to_ask, held))
            for read, pair in zip(block, pairs, strict=True):
                if isinstance(read, (Refused, Unread)):  # not a question: its answer, an error
                    yield read, ExitCode.INVALID
                    continue
                item, perm = read
                assert pair is not None
                st = cache.get(pair)
                if st is None:
                    st = cache[pair] = standing_of(s, pair[1], item["user"])
                if st.account is not None:
                    mine = allowed_to_ask.get(st.account)
                    if mine is None:
                        mine = allowed_to_ask[st.account] = standing_of(s, st.account, asker)
                    if not may_ask(mine, item["user"]):
                        st = Standing(item["user"], None)  # an outsider: the missing account's
                ok, why = decide(st, perm)
                yield Answered(item, ok, why), ExitCode.OK


def _load_standings(
    s: Session,
    asker: str,
    block: list[_Read],
    pairs: list[tuple[str, str] | None],
    caches: tuple[dict[tuple[str, str], Standing], dict[str, Standing], dict[int, str | None]],
) -> None:
    """Fill the batch's caches for a chunk's questions in one query: the pairs asked about
    and the asker's own standing in each account not seen yet. Only what `batch` would look
    up one by one, with the same answers; anything it cannot load here (a value no server
    can hold) is left to the one-by-one lookup, which fails, if it must, at the very line
    it would have failed at. CACHES: the standings of pairs, the asker's standing per
    account, the permissions of the profiles read so far."""
    cache, allowed_to_ask, held = caches
    asked: dict[tuple[str, str], str] = {}
    for read, pair in zip(block, pairs, strict=True):
        if pair is not None and pair not in cache and pair not in asked:
            assert not isinstance(read, (Refused, Unread))  # a pair: a question
            email = read[0]["user"]
            if "\x00" not in email and "\x00" not in pair[1]:
                asked[pair] = email
    mine: dict[tuple[str, str], str] = {}
    unseen = {slug for _, slug in asked if slug not in allowed_to_ask}
    if unseen and "\x00" not in asker:
        mine = {(email_key(asker), slug): asker for slug in unseen}
    if not asked and not mine:
        return
    found = standings_of(s, asked | mine, held)
    for key in asked:
        cache[key] = found[key]
    for key in mine:
        st = found[key]
        if st.account is not None:
            allowed_to_ask[st.account] = st


# The longest `can --batch` line answered: a longer one gets an error line, unread.
BATCH_LINE_LIMIT = 65_536


class Overlong(str):
    """A batch line longer than BATCH_LINE_LIMIT bytes (its start; the rest was skipped)."""


def batch_lines(stream: BinaryIO, limit: int = BATCH_LINE_LIMIT) -> Iterator[str]:
    """STREAM's lines as text, newline kept, undecodable bytes as lone surrogates (so that
    a bad line can be told apart), each read in bounded memory: a line of more than LIMIT
    bytes comes as an `Overlong`, and the rest of it is skipped unread."""
    while raw := stream.readline(limit + 1):
        if len(raw) > limit and not raw.endswith(b"\n"):
            while (rest := stream.readline(limit)) and not rest.endswith(b"\n"):
                pass
            yield Overlong(raw[:limit].decode("utf-8", "surrogateescape"))
        else:
            yield raw.decode("utf-8", "surrogateescape")


def _question(decode: Callable[[str], Any], cat: Catalog, number: int, line: str) -> _Read:
    """A batch line read: the question ({user, account, permission} strings) and its
    permission, or, for a line that is no question, its answer (exit code INVALID)."""
    import json

    if isinstance(line, Overlong):
        return Unread(number, f"line longer than {BATCH_LINE_LIMIT // 1024} KB")
    if not line.strip():  # still answered: output line N is always input line N
        return Unread(number, "empty line")
    if not _is_text(line):
        return Unread(number, "not UTF-8 text")
    try:
        if line.startswith("\ufeff"):  # as json.loads says it
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", line, 0)
        item = decode(line)
    except ValueError as exc:
        return Unread(number, f"not JSON: {exc}")
    if "\\u" in line and not _is_text(json.dumps(item, ensure_ascii=False)):
        # "\ud800" is valid JSON but not text: it can be neither looked up nor echoed
        # (only a \u escape can make one, so other lines skip the check)
        return Unread(number, "a string in it is not text (lone surrogate)")
    if not isinstance(item, dict) or not all(
        isinstance(item.get(k), str) for k in ("user", "account", "permission")
    ):
        return Unread(number, 'expected {"user", "account", "permission"} strings', item)
    try:
        return item, cat.resolve(item["permission"])
    except Invalid as exc:
        return Refused(item, exc.message)


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _is_text(value: str) -> bool:
    """False for lone surrogates: undecodable input bytes, or a JSON "\\ud800" escape."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
