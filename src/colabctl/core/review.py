"""Access review: `colabctl review` and `review ack` (docs/review.md).

Who holds what comes from the standings and `access.decide`, exactly as `can` and
`matrix` see it; the review only asks questions of them: separation-of-duties pairs
(rules file), high-risk holders, broad and unused profiles, stale and expired
invitations, access about to end.

A finding's id is a hash of its kind, account and subject (and pair), so it is the
same from run to run. An acknowledgement records the finding's *fingerprint*, the
state of its subject (the person's status, profile and that profile's permissions;
the profile's permissions; the invitation's dates): while the fingerprint is the
same, the finding stays acknowledged; when it changes, the finding is open again.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from colabctl.core import access, tomlfile
from colabctl.core.access import Standing, decide
from colabctl.core.catalog import catalog
from colabctl.core.clock import iso
from colabctl.core.identity import email_key
from colabctl.core.names import clean_text, quoted
from colabctl.core.session import Account, Context, Session, reading, writing
from colabctl.errors import Invalid, NotFound

SEVERITIES = ("high", "medium", "low")
RULES_FILE = Path(__file__).with_name("sod_rules.toml")
STALE_AFTER = timedelta(days=14)
ENDING_WITHIN = timedelta(days=7)
BROAD_SHARE = 0.75
MAX_RULES_BYTES = 1_000_000


# -- separation-of-duties rules ----------------------------------------------------------


@dataclass(frozen=True)
class SodRule:
    name: str
    permissions: tuple[str, str]
    severity: str = "high"


def load_rules(path: Path | None = None) -> list[SodRule]:
    """The rules file given (--rules), else the shipped defaults; any fault is Invalid
    naming the file and the line."""
    source = path or RULES_FILE
    shown = str(path) if path else "the shipped rules"
    raw = tomlfile.read(source, shown, limit=MAX_RULES_BYTES, what="a rules file")
    text = tomlfile.text(raw, shown)
    data = tomlfile.parse(text, shown)
    headers = [n for n, line in enumerate(text.splitlines(), 1) if _SOD_HEADER.match(line)]
    unknown = sorted(set(data) - {"version", "sod"})
    if unknown:
        raise Invalid(
            f"{shown}: unknown key {quoted(unknown[0])}", hint="a rules file holds [[sod]] tables"
        )
    tables = data.get("sod", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise Invalid(f"{shown}: `sod` must be written as [[sod]] tables")
    rules: list[SodRule] = []
    cat = catalog()
    for index, table in enumerate(tables):
        line = headers[index] if len(headers) == len(tables) else 0
        where = f"{shown}, line {line}" if line else shown
        extra = sorted(set(table) - {"name", "permissions", "severity"})
        if extra:
            raise Invalid(f"{where}: [[sod]]: unknown key {quoted(extra[0])}")
        name = table.get("name")
        if not isinstance(name, str) or not name.strip():
            raise Invalid(f"{where}: [[sod]]: `name` is missing or not a string")
        refs = table.get("permissions")
        if (
            not isinstance(refs, list)
            or len(refs) != 2
            or not all(isinstance(r, str) for r in refs)
        ):
            raise Invalid(f"{where}: [[sod]] {quoted(name)}: `permissions` must be a pair")
        try:
            first, second = (cat.resolve_delegable(r).id for r in refs)
        except Invalid as exc:
            raise Invalid(f"{where}: [[sod]] {quoted(name)}: {exc.message}", hint=exc.hint) from exc
        if first == second:
            raise Invalid(f"{where}: [[sod]] {quoted(name)}: the pair names {first} twice")
        severity = table.get("severity", "high")
        if severity not in SEVERITIES:
            raise Invalid(
                f"{where}: [[sod]] {quoted(name)}: severity {quoted(str(severity))}"
                " is not high, medium or low"
            )
        rules.append(SodRule(name.strip(), (first, second), severity))
    return rules


_SOD_HEADER = re.compile(r"\s*\[\[\s*sod\s*\]\]\s*(?:#.*)?$")


# -- findings ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Ack:
    by: str
    at: str
    reason: str

    def as_json(self) -> dict[str, str]:
        return {"by": self.by, "at": self.at, "reason": self.reason}


@dataclass(frozen=True)
class Finding:
    id: str
    severity: str
    kind: str
    account: str
    subject: str
    message: str
    fingerprint: str  # the subject's state: an ack holds while it is the same
    ack: Ack | None = None  # acknowledged, subject unchanged since
    reopened: Ack | None = None  # acknowledged once, but the subject has changed since

    @property
    def open(self) -> bool:
        return self.ack is None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "severity": self.severity,
            "kind": self.kind,
            "account": self.account,
            "subject": self.subject,
            "message": self.message,
            "status": "open" if self.open else "acknowledged",
            "ack": self.ack.as_json() if self.ack else None,
            "reopened": self.reopened.as_json() if self.reopened else None,
        }


def _digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()


def finding_id(kind: str, account: str, subject: str, pair: tuple[str, ...] = ()) -> str:
    """Stable across runs: a hash of what the finding is about, never of its state."""
    return _digest(kind, account, email_key(subject), *pair)[:12]


def _finding(
    kind: str,
    severity: str,
    acct: Account,
    subject: str,
    message: str,
    state: tuple[object, ...],
    pair: tuple[str, ...] = (),
) -> Finding:
    return Finding(
        finding_id(kind, acct.slug, subject, pair),
        severity,
        kind,
        acct.slug,
        subject,
        message,
        _digest(*state),
    )


def _person_state(st: Standing) -> tuple[object, ...]:
    """What a person's finding depends on: their status, profile and its permissions."""
    return (st.status, st.profile, *sorted(st.granted))


def _days(since: str, now: str) -> int:
    from datetime import datetime

    return (datetime.fromisoformat(now) - datetime.fromisoformat(since)).days


def findings_in(s: Session, acct: Account, rules: list[SodRule]) -> list[Finding]:
    """Every finding in ACCT, open or acknowledged."""
    cat = catalog()
    high = [p for p in cat.delegable if p.risk == "high"]
    rule_perms = [
        (rule, cat.by_id[rule.permissions[0]], cat.by_id[rule.permissions[1]]) for rule in rules
    ]
    stale_before = iso(s.now - STALE_AFTER)
    found: list[Finding] = []
    people = access.standings(s, acct)
    in_use: set[str] = set()
    for st in people:
        if st.owner:
            continue  # the owner holds everything by definition: no finding is about them
        if st.status in ("pending", "active") and st.profile:
            in_use.add(st.profile)
        if st.status == "active":
            for rule, first, second in rule_perms:
                if decide(st, first)[0] and decide(st, second)[0]:
                    found.append(
                        _finding(
                            "sod-conflict",
                            rule.severity,
                            acct,
                            st.user,
                            f"{st.user} ({st.profile}) holds both {first.id} and {second.id}"
                            f" (rule {rule.name})",
                            _person_state(st),
                            rule.permissions,
                        )
                    )
            risky = [p.id for p in high if decide(st, p)[0]]
            if risky:
                found.append(
                    _finding(
                        "high-risk-holder",
                        "medium",
                        acct,
                        st.user,
                        f"{st.user} ({st.profile}) holds {len(risky)} high-risk"
                        f" permission{'s' if len(risky) > 1 else ''}: {', '.join(risky)}",
                        _person_state(st),
                    )
                )
            ending = st.access_until  # an active standing's is still to come
            if ending is not None and s.now_iso < ending <= iso(s.now + ENDING_WITHIN):
                found.append(
                    _finding(
                        "access-ending",
                        "low",
                        acct,
                        st.user,
                        f"{st.user}'s access ({st.profile}) ends at {ending}",
                        (*_person_state(st), ending),
                    )
                )
        elif st.status == "pending" and st.invited_at and st.invited_at < stale_before:
            found.append(
                _finding(
                    "stale-invitation",
                    "low",
                    acct,
                    st.user,
                    f"{st.user} was invited as {st.profile} on {st.invited_at} and has not"
                    f" answered in {_days(st.invited_at, s.now_iso)} days",
                    (st.status, st.profile, st.invited_at, st.expires_at),
                )
            )
        elif st.status == "expired":
            found.append(
                _finding(
                    "expired-invitation",
                    "low",
                    acct,
                    st.user,
                    f"{st.user}'s invitation as {st.profile or '(a deleted profile)'} expired on"
                    f" {st.expires_at} and was never renewed",
                    (st.status, st.profile, st.invited_at, st.expires_at),
                )
            )
    delegable = {p.id for p in cat.delegable}
    for name, perms in _profiles(s, acct):
        held = sorted(set(perms) & delegable)
        if len(held) > BROAD_SHARE * len(delegable):
            found.append(
                _finding(
                    "broad-profile",
                    "medium",
                    acct,
                    f"profile:{name}",
                    f"profile {name} holds {len(held)} of the {len(delegable)} delegable"
                    f" permissions ({100 * len(held) / len(delegable):.0f}%, more than"
                    f" {BROAD_SHARE:.0%})",
                    tuple(held),
                )
            )
        if name not in in_use:
            found.append(
                _finding(
                    "unused-profile",
                    "low",
                    acct,
                    f"profile:{name}",
                    f"profile {name} has no pending or active holder",
                    tuple(sorted(perms)),
                )
            )
    return _with_acks(s, acct, found)


def _profiles(s: Session, acct: Account) -> list[tuple[str, list[str]]]:
    rows = s.conn.execute(
        "SELECT p.name, group_concat(pp.permission, ' ') FROM profiles p"
        " LEFT JOIN profile_permissions pp ON pp.profile_id = p.id"
        " WHERE p.account_id = ? GROUP BY p.id ORDER BY p.name",
        (acct.id,),
    ).fetchall()
    return [(name, (perms or "").split()) for name, perms in rows]


def _with_acks(s: Session, acct: Account, found: list[Finding]) -> list[Finding]:
    """Each finding with its latest acknowledgement: holding if the fingerprint is the
    same, else shown as reopened."""
    latest: dict[str, tuple[str, Ack]] = {}
    for finding, fingerprint, by, at, reason in s.conn.execute(
        "SELECT finding, fingerprint, actor, at, reason FROM review_acks"
        " WHERE account_id = ? ORDER BY id",
        (acct.id,),
    ):
        latest[finding] = (fingerprint, Ack(by, at, reason))
    if not latest:
        return found
    result = []
    for finding in found:
        acked = latest.get(finding.id)
        if acked is None:
            result.append(finding)
        elif acked[0] == finding.fingerprint:
            result.append(replace(finding, ack=acked[1]))
        else:
            result.append(replace(finding, reopened=acked[1]))
    return result


def _order(finding: Finding) -> tuple[int, str, str, str]:
    return (SEVERITIES.index(finding.severity), finding.account, finding.kind, finding.subject)


def _owned(s: Session) -> list[Account]:
    me = s.actor()
    slugs = [
        r[0]
        for r in s.conn.execute(
            "SELECT slug FROM accounts WHERE owner_id = ? ORDER BY slug", (me.id,)
        )
    ]
    return [s.get_account(slug) for slug in slugs]


def review(
    ctx: Context,
    *,
    account: str | None = None,
    all_accounts: bool = False,
    rules: Path | None = None,
) -> list[Finding]:
    """The findings of one account (or every account the actor owns), most severe first.
    The owner's alone: a collaborator gets 5, anyone else the missing account's 3."""
    sod = load_rules(rules)
    with reading(ctx) as s:
        accounts = _owned(s) if all_accounts else [access.managed(s, account, legal_entity=False)]
        found = [f for acct in accounts for f in findings_in(s, acct, sod)]
    return sorted(found, key=_order)


def ack(
    ctx: Context,
    finding: str,
    *,
    reason: str,
    rules: Path | None = None,
    account: str | None = None,
) -> tuple[Finding, bool]:
    """Acknowledge an open finding (owner only): one review_acks row and its audit row.
    Returns the finding and whether anything was written (an acknowledged, unchanged
    finding is left as it is). Without -a, the finding is looked for in every account
    the actor owns: its id names its account."""
    why = clean_text(reason, what="reason")
    wanted = finding.strip().lower()
    sod = load_rules(rules)
    with writing(ctx) as s:
        accounts = [access.managed(s, account, legal_entity=False)] if account else _owned(s)
        for acct in accounts:
            for candidate in findings_in(s, acct, sod):
                if candidate.id != wanted:
                    continue
                if candidate.ack is not None:
                    return candidate, False
                s.conn.execute(
                    "INSERT INTO review_acks (account_id, finding, fingerprint, actor, at, reason)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (acct.id, candidate.id, candidate.fingerprint, s.actor().email, s.now_iso, why),
                )
                s.record(
                    "review.ack",
                    account=acct.slug,
                    target=candidate.subject,
                    details={
                        "finding": candidate.id,
                        "fingerprint": candidate.fingerprint,
                        "kind": candidate.kind,
                        "severity": candidate.severity,
                        "reason": why,
                    },
                )
                return replace(candidate, ack=Ack(s.actor().email, s.now_iso, why)), True
        where = f" in {accounts[0].slug}" if account else " in the accounts you own"
        raise NotFound(
            f"no finding {quoted(finding)}{where}",
            hint="`colabctl review` lists the findings and their ids",
        )
