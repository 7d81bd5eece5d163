"""core/report/gather.py: a report read from the store in one snapshot, from the same
functions as the reads it contains (matrix, collaborator list, review, audit log), under
their rules of who may see what: the owner everything; an active collaborator no
findings and no tax data; anyone else the missing account's answer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from support import ACME, BEA, BOB, CAIO, CNPJ, OWNER, ZED, FakeClock, copy_store, ctx_for

from colabctl.core import collaborators, users
from colabctl.core.clock import iso
from colabctl.core.report import gather
from colabctl.core.session import Context
from colabctl.errors import NotFound
from colabctl.store.engine import Target

pytestmark = pytest.mark.engines("sqlite", "postgres")

As = Callable[[str | None], Context]


def test_the_matrix_groups_people_by_what_they_hold(
    acme_template: Target, db_path: Target, clock: FakeClock
) -> None:
    copy_store(acme_template, db_path)
    found = gather.build(ctx_for(db_path, OWNER, clock), accounts=[ACME])
    (acme,) = found.accounts
    assert [(g.role, [p.user for p in g.people]) for g in acme.groups] == [
        ("owner", [OWNER]),
        ("soporte", [BOB]),
    ]
    assert all(acme.groups[0].held) and len(acme.groups[0].held) == found.column_count


def test_the_owner_reads_everything(acme_db: Target, ctx_as: As, clock: FakeClock) -> None:
    collaborators.invite(ctx_as(OWNER), BEA, profile="tecnico", account=ACME)
    collaborators.set_access_until(ctx_as(OWNER), BOB, "10d", account=ACME)
    found = gather.build(ctx_as(OWNER), accounts=[ACME])
    (acme,) = found.accounts
    assert (found.actor, found.made_at) == (OWNER, iso(clock()))
    assert found.since == iso(clock() - timedelta(days=30))  # the default window
    assert (acme.owner_view, acme.tax_id, acme.country) == (True, CNPJ, "BR")
    assert (acme.active, acme.pending, acme.ending_count) == (1, 1, 1)
    assert [m.user for m in acme.invitations] == [BEA]
    until = iso(clock() + timedelta(days=10))
    assert [(m.user, m.access_until) for m in acme.ending] == [(BOB, until)]
    assert acme.findings is not None
    assert acme.changes[0].action == "collaborator.set_access_until"  # newest first
    assert found.chain.checked and found.chain.intact
    assert found.chain.head is not None and found.chain.rows == found.chain.head[0]


def test_a_collaborator_reads_no_findings_and_no_tax_data(acme_db: Target, ctx_as: As) -> None:
    (acme,) = gather.build(ctx_as(BOB), accounts=[ACME]).accounts
    assert (acme.owner_view, acme.findings, acme.tax_id, acme.country) == (False, None, None, None)
    assert acme.legal_entity  # that there is a tax ID is no secret
    created = next(c for c in acme.changes if c.action == "account.create")
    assert CNPJ.replace(".", "") not in created.words and "tax ID" in created.words


def test_since_cuts_the_changes(acme_db: Target, ctx_as: As) -> None:
    (acme,) = gather.build(ctx_as(OWNER), accounts=[ACME], since="2030-01-01").accounts
    assert acme.changes == []
    (acme,) = gather.build(ctx_as(OWNER), accounts=[ACME], since="1d").accounts
    assert {c.action for c in acme.changes} >= {"account.create", "invitation.accept"}


def test_an_outsider_gets_the_missing_accounts_answer(acme_db: Target, ctx_as: As) -> None:
    users.register(ctx_as(None), ZED)
    with pytest.raises(NotFound) as caught:
        gather.build(ctx_as(ZED), accounts=[ACME])
    assert caught.value.message == f'no account "{ACME}"'


def test_all_accounts_are_those_with_a_role(acme_db: Target, ctx_as: As) -> None:
    collaborators.invite(ctx_as(OWNER), CAIO, profile="tecnico", account=ACME)  # pending
    assert gather.build(ctx_as(CAIO), all_accounts=True).accounts == []
    assert [a.slug for a in gather.build(ctx_as(BOB), all_accounts=True).accounts] == [ACME]
