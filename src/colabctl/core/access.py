"""THE decision function. Every "can X do Y" answer (`can`, `who-can`, `matrix`,
`whoami`, `collaborator show`) comes from `decide()`, so they never disagree."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from colabctl.core.catalog import Permission, catalog
from colabctl.core.errors import Forbidden, Invalid
from colabctl.core.identity import email_key
from colabctl.core.session import (
    STATUS_SQL,
    Account,
    Context,
    Session,
    User,
    current_membership_sql,
    reading,
)

_REASON_OF_STATUS = {
    "pending": "invitation-pending",
    "expired": "invitation-expired",
    "declined": "invitation-declined",
    "revoked": "revoked",
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

    @property
    def role(self) -> str | None:
        if self.owner:
            return "owner"
        return self.profile if self.status == "active" else None


def decide(standing: Standing, perm: Permission) -> tuple[bool, str]:
    """(allowed, reason), in SPEC's order: unknown account; owner; owner-only id;
    membership and its status; the profile."""
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
# permissions (space-separated), and its dates.
_MEMBERSHIP_COLUMNS = (
    f"{STATUS_SQL}, p.name,"
    " (SELECT group_concat(pp.permission, ' ') FROM profile_permissions pp"
    "  WHERE pp.profile_id = m.profile_id),"
    " m.invited_at, m.expires_at, m.ended_at"
)

_STANDING_SQL = (
    f"SELECT a.slug, a.owner_id = u.id, {_MEMBERSHIP_COLUMNS}"
    " FROM accounts a"
    " LEFT JOIN users u ON u.email_key = :key"
    f" LEFT JOIN memberships m ON m.id = {current_membership_sql('a.id', 'u.id')}"
    " LEFT JOIN profiles p ON p.id = m.profile_id"
    " WHERE a.slug = :slug"
)

_STANDINGS_SQL = (
    f"SELECT u.email, {_MEMBERSHIP_COLUMNS}"
    " FROM memberships m JOIN users u ON u.id = m.user_id"
    " LEFT JOIN profiles p ON p.id = m.profile_id"
    f" WHERE m.account_id = :a AND m.id = {current_membership_sql('m.account_id', 'm.user_id')}"
    " ORDER BY u.email_key"
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


def standings(s: Session, account: Account) -> list[Standing]:
    """The owner first, then everyone with a membership row (their current one), by email."""
    rows = s.conn.execute(_STANDINGS_SQL, {"a": account.id, "now": s.now_iso}).fetchall()
    owner = Standing(account.owner_email, account.slug, owner=True)
    return [owner, *(_standing(row[0], account.slug, False, *row[1:]) for row in rows)]


def roles_of(s: Session, user: User) -> list[tuple[str, str]]:
    """(slug, role) for every account where the user is owner or an active collaborator."""
    found = []
    for slug in s.accounts_of(user):
        role = standing_of(s, slug, user.email).role
        if role is not None:
            found.append((slug, role))
    return found


def may_ask(standing_of_actor: Standing, about: str) -> bool:
    """`can` answers the owner, active collaborators, and anyone asking about themself."""
    return standing_of_actor.role is not None or email_key(about) == email_key(
        standing_of_actor.user
    )


# -- the commands ------------------------------------------------------------


class Answer(NamedTuple):
    account: str  # as asked: kept when no such account exists
    standing: Standing
    results: list[tuple[Permission, bool, str]]
    allowed: bool

    def as_json(self) -> dict[str, Any]:
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
        slug = ctx.account_choice(account)
        if slug is None:
            slug = s.account(None).slug
        standing = standing_of(s, slug, email)
        if standing.account is not None:
            actor = s.actor()
            if not may_ask(standing_of(s, slug, actor.email), email):
                raise Forbidden(
                    f"you may only ask about yourself in {slug}: you are neither its owner"
                    " nor an active collaborator"
                )
        return check(slug, standing, perms, any_=any_)


def who_can(
    ctx: Context, ref: str, *, account: str | None = None, all_accounts: bool = False
) -> list[dict[str, Any]]:
    perm = catalog().resolve(ref)
    with reading(ctx) as s:
        if all_accounts:
            me = s.actor()
            accounts = [s.get_account(slug) for slug, _ in roles_of(s, me)]
        else:
            one = s.account(account)
            s.require_reader(one)
            accounts = [one]
        found = []
        for acct in accounts:
            for st in standings(s, acct):
                allowed, reason = decide(st, perm)
                if allowed:
                    found.append(
                        {"user": st.user, "account": acct.slug, "role": st.role, "reason": reason}
                    )
        return found


class Matrix(NamedTuple):
    account: str
    people: list[Standing]
    permissions: list[Permission]
    grants: dict[str, list[str]]

    def as_json(self) -> dict[str, Any]:
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
    perms = catalog().permissions
    with reading(ctx) as s:
        acct = s.account(account)
        s.require_reader(acct)
        people = [p for p in standings(s, acct) if p.owner or p.status in ("active", "pending")]
        grants = {p.user: [perm.id for perm in held_permissions(p)] for p in people}
        return Matrix(acct.slug, people, perms, grants)


class WhoAmI(NamedTuple):
    user: User
    accounts: list[dict[str, Any]]
    invitations: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {
            "user": self.user.email,
            "name": self.user.name,
            "accounts": self.accounts,
            "invitations": self.invitations,
        }


def whoami(ctx: Context) -> WhoAmI:
    from colabctl.core.collaborators import pending_for

    with reading(ctx) as s:
        me = s.actor()
        current = ctx.account_choice(None)
        accounts = []
        for slug, role in roles_of(s, me):
            acct = s.get_account(slug)
            accounts.append(
                {"slug": slug, "name": acct.name, "role": role, "current": slug == current}
            )
        invitations = [
            {
                "account": m.account,
                "profile": m.profile,
                "invited_at": m.invited_at,
                "expires_at": m.expires_at,
                "invited_by": m.invited_by,
            }
            for m in pending_for(s, me)
        ]
        return WhoAmI(me, accounts, invitations)


class Role(NamedTuple):
    user: str
    account: str
    role: str
    permissions: list[Permission]

    def as_json(self) -> dict[str, Any]:
        return {
            "user": self.user,
            "account": self.account,
            "role": self.role,
            "permissions": [p.id for p in self.permissions],
        }


def whoami_in(ctx: Context, slug: str) -> Role:
    with reading(ctx) as s:
        acct = s.get_account(slug)
        me = s.actor()
        standing = standing_of(s, acct, me.email)
        if standing.role is None:
            raise Forbidden(
                f"you have no role in {slug}",
                hint="`colabctl whoami` lists your accounts and invitations",
            )
        return Role(me.email, slug, standing.role, held_permissions(standing))


def batch(ctx: Context, lines: Iterable[str]) -> Iterator[tuple[dict[str, Any], int]]:
    """`can --batch`: one output object per input line, in order, with the exit code
    that line calls for (0 answered, 5 not yours to ask, 6 malformed). One process,
    one read transaction; standings are cached per (user, account)."""
    import json

    cat = catalog()
    with reading(ctx) as s:
        cache: dict[tuple[str, str], Standing] = {}
        allowed_to_ask: dict[str, Standing] = {}

        def standing(email: str, slug: str) -> Standing:
            key = (email_key(email), slug)
            found = cache.get(key)
            if found is None:
                found = cache[key] = standing_of(s, slug, email)
            return found

        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            if not _is_text(line):
                yield {"line": number, "error": "not UTF-8 text"}, 6
                continue
            try:
                item = json.loads(line, parse_constant=_not_json)
            except ValueError as exc:
                yield {"line": number, "error": f"not JSON: {exc}"}, 6
                continue
            if "\\u" in line and not _is_text(json.dumps(item, ensure_ascii=False)):
                # "\ud800" is valid JSON but not text: it can be neither looked up nor echoed
                # (only a \u escape can make one, so other lines skip the check)
                yield {"line": number, "error": "a string in it is not text (lone surrogate)"}, 6
                continue
            if not isinstance(item, dict) or not all(
                isinstance(item.get(k), str) for k in ("user", "account", "permission")
            ):
                yield (
                    {
                        "line": number,
                        "input": item,
                        "error": 'expected {"user", "account", "permission"} strings',
                    },
                    6,
                )
                continue
            try:
                perm = cat.resolve(item["permission"])
            except Invalid as exc:
                yield {**item, "error": exc.message}, 6
                continue
            st = standing(item["user"], item["account"])
            if st.account is not None:
                mine = allowed_to_ask.get(st.account)
                if mine is None:
                    mine = allowed_to_ask[st.account] = standing_of(s, st.account, s.actor().email)
                if not may_ask(mine, item["user"]):
                    yield (
                        {
                            **item,
                            "error": f"forbidden: you may only ask about yourself in {st.account}",
                        },
                        5,
                    )
                    continue
            ok, why = decide(st, perm)
            yield {**item, "allowed": ok, "reason": why}, 0


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _is_text(value: str) -> bool:
    """False for lone surrogates: undecodable input bytes, or a JSON "\\ud800" escape."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
