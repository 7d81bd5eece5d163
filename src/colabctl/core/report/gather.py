"""Gathering an access report (docs/report.md) in one read of the store, from the same
functions as the reads it contains: `matrix` (who holds what: access.matrix_in, so the
one decision function), `collaborator list` (collaborators.members_in), `review`
(review.findings_in) and `audit log` (core/audit.log_in), under the same rules of who
may see what: the owner everything; an active collaborator no findings, no review
acknowledgements and no tax data; anyone else the missing account's answer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from colabctl import __version__
from colabctl.core import access, collaborators, review, sod
from colabctl.core import audit as audit_log
from colabctl.core.catalog import catalog
from colabctl.core.clock import iso, parse_moment
from colabctl.core.report.model import (
    AccountReport,
    ChainState,
    Change,
    Column,
    ColumnGroup,
    MatrixGroup,
    Person,
    Report,
)
from colabctl.core.session import Account, Context, Session, reading
from colabctl.store.audit import head, verify_chain_only

DEFAULT_SINCE = timedelta(days=30)
ENDING_WITHIN = timedelta(days=30)
# `audit log` shows 50 rows by default; the report shows every row since --since.
_EVERY_ROW = 2**62


def build(
    ctx: Context,
    *,
    accounts: Sequence[str] = (),
    all_accounts: bool = False,
    since: str | None = None,
    lang: str = "en",
) -> Report:
    """The report of ACCOUNTS (none: the command's account, as `matrix` chooses it), or
    of every account the actor owns or actively collaborates on (ALL_ACCOUNTS)."""
    with reading(ctx) as s:
        cutoff = iso(s.now - DEFAULT_SINCE) if since is None else parse_moment(since, s.now)
        ending_before = iso(s.now + ENDING_WITHIN)
        columns = _columns(lang)
        chosen = _chosen(s, accounts, all_accounts)
        parts = [_account(s, acct, owner, columns, cutoff, ending_before) for acct, owner in chosen]
        return Report(
            actor=s.actor().email,
            made_at=s.now_iso,
            version=__version__,
            lang=lang,
            since=cutoff,
            ending_before=ending_before,
            columns=columns,
            accounts=parts,
            chain=_chain_check(s),
        )


def _chosen(s: Session, slugs: Sequence[str], every: bool) -> list[tuple[Account, bool]]:
    """(account, whether the actor owns it) for each account reported on; an account the
    actor may not read is refused with the missing account's answer (exit 3)."""
    if every:
        return [
            (s.get_account(slug), role == "owner") for slug, role in access.roles_of(s, s.actor())
        ]
    found = []
    for slug in dict.fromkeys(slugs) or [None]:
        acct = access.choose_account(s, slug)
        found.append((acct, access.actor_standing(s, acct).owner))
    return found


def _columns(lang: str) -> list[ColumnGroup]:
    cat = catalog()
    return [
        ColumnGroup(
            category.id,
            category.label(lang),
            [
                Column(p.id, p.label(lang), "owner" if p.owner_only else p.risk)
                for p in cat.permissions
                if p.category == category.id
            ],
        )
        for category in cat.categories
    ]


def _account(
    s: Session,
    acct: Account,
    owner_view: bool,
    columns: list[ColumnGroup],
    cutoff: str,
    ending_before: str,
) -> AccountReport:
    rows = collaborators.members_in(s, acct)
    names = {m.user: m.name for m in rows}
    owner = s.user_by_email(acct.owner_email)
    names[acct.owner_email] = owner.name if owner else None
    # each person's latest row (the one that speaks for them); an owner's own row from
    # before they owned the account is history
    latest = {m.user: m for m in rows if m.user != acct.owner_email}
    current = list(latest.values())
    ending = sorted(
        (m for m in current if m.status == "active" and m.access_until is not None),
        key=lambda m: (m.access_until or "", m.user),
    )
    ending = [m for m in ending if (m.access_until or "") <= ending_before]
    tax_id = country = None
    if owner_view and acct.tax_id is not None and acct.tax_country is not None:
        from colabctl.core.taxid import format_tax_id

        tax_id, country = format_tax_id(acct.tax_id, acct.tax_country), acct.tax_country
    return AccountReport(
        slug=acct.slug,
        name=acct.name,
        owner=acct.owner_email,
        owner_name=names[acct.owner_email],
        owner_view=owner_view,
        legal_entity=acct.legal_entity,
        tax_id=tax_id,
        country=country,
        active=sum(m.status == "active" for m in current),
        pending=sum(m.status == "pending" for m in current),
        ending_count=len(ending),
        groups=_groups(s, acct, columns, names),
        findings=_findings(s, acct) if owner_view else None,
        invitations=[m for m in current if m.status in ("pending", "expired")],
        ending=ending,
        changes=_changes(s, acct, cutoff, owner_view=owner_view),
    )


def _groups(
    s: Session, acct: Account, columns: list[ColumnGroup], names: dict[str, str | None]
) -> list[MatrixGroup]:
    """The matrix's rows: `matrix`'s grid, the owner first, then the active holders by
    profile (by email within one). People are grouped by what they hold as well as by
    role, so a group's cells are its people's, whatever the profile says."""
    grid = access.matrix_in(s, acct)
    ids = [c.id for group in columns for c in group.columns]
    cells: dict[tuple[str, ...], tuple[bool, ...]] = {}  # what is held -> the row's cells
    groups: dict[tuple[str, tuple[bool, ...]], list[Person]] = {}
    for st in grid.people:
        if not st.owner and st.status != "active":
            continue  # pending people hold nothing: they are listed as invitations
        role = "owner" if st.owner else st.profile or ""
        held = tuple(grid.grants[st.user])
        if held not in cells:
            cells[held] = tuple(i in held for i in ids)
        person = Person(st.user, names.get(st.user), role, st.access_until)
        groups.setdefault((role, cells[held]), []).append(person)
    ordered = sorted(groups.items(), key=lambda item: (item[0][0] != "owner", item[0]))
    return [MatrixGroup(role, role == "owner", held, people) for (role, held), people in ordered]


def _findings(s: Session, acct: Account) -> list[review.Finding]:
    """`review`'s findings of an account the actor owns, most severe first, with the
    shipped separation-of-duties rules."""
    return sorted(review.findings_in(s, acct, sod.load_rules()), key=review.by_severity)


def _changes(s: Session, acct: Account, cutoff: str, *, owner_view: bool) -> list[Change]:
    """`audit log`'s rows of the account since CUTOFF, newest first, in its words and
    under its rules (for a collaborator: no review acknowledgements, no tax data)."""
    found = audit_log.log_in(s, acct, owner=owner_view, since=cutoff, limit=_EVERY_ROW)
    return [
        Change(r.entry.seq, r.entry.at, r.entry.actor, r.entry.action, r.entry.target, r.change)
        for r in found
    ]


def _chain_check(s: Session) -> ChainState:
    """The chain's links and head, walked as `audit verify` walks them (its state replay is
    verify's own). A login that may not read the whole chain (a team login on a shared
    server: docs/postgres.md) gets the head `audit head` gives, unchecked. Asked before,
    not tried: a refused statement would end the report's read transaction."""
    if not s.store.store_owner:
        return ChainState(False, None, 0, head(s.conn))
    verdict = verify_chain_only(s.conn)
    return ChainState(
        True, verdict.intact, verdict.rows, verdict.head, verdict.first_bad_seq, verdict.problem
    )
