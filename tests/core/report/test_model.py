"""core/report/model.py: what a report says, whatever its format; the counts and names a
template reads from it."""

from __future__ import annotations

from colabctl.core.report.model import (
    AccountReport,
    ChainState,
    Column,
    ColumnGroup,
    MatrixGroup,
    Person,
    Report,
)
from colabctl.core.review import Finding


def _finding(severity: str) -> Finding:
    return Finding("f", severity, "kind", "acme-cursos", "someone", "message", "print")


def _account(groups: list[MatrixGroup], findings: list[Finding] | None) -> AccountReport:
    return AccountReport(
        slug="acme-cursos",
        name="Acme",
        owner="ana@example.com",
        owner_name=None,
        owner_view=findings is not None,
        legal_entity=True,
        tax_id=None,
        country=None,
        active=0,
        pending=0,
        ending_count=0,
        groups=groups,
        findings=findings,
        invitations=[],
        ending=[],
        changes=[],
    )


def test_a_column_knows_its_risk() -> None:
    assert Column("account.bank", "Bank", "owner").owner_only
    assert not Column("account.bank", "Bank", "owner").high_risk
    assert Column("withdrawal.withdraw", "Withdraw", "high").high_risk
    assert not Column("products.view", "View", "low").owner_only


def test_holders_count_everyone_in_the_matrix() -> None:
    people = [Person(f"p{i}@example.com", None, "soporte", None) for i in range(3)]
    groups = [
        MatrixGroup("owner", True, (True,), [Person("ana@example.com", "Ana", "owner", None)]),
        MatrixGroup("soporte", False, (False,), people),
    ]
    assert _account(groups, None).holders == 4
    assert _account([], None).holders == 0


def test_severities_count_every_finding_and_none_for_a_collaborator() -> None:
    found = [_finding("high"), _finding("low"), _finding("low")]
    assert _account([], found).severities() == {"high": 1, "medium": 0, "low": 2}
    assert _account([], None).severities() == {"high": 0, "medium": 0, "low": 0}


def test_the_chain_head_as_text() -> None:
    assert ChainState(True, True, 3, (3, "ab" * 32)).head_text == f"3:{'ab' * 32}"
    assert ChainState(False, None, 0, None).head_text is None


def test_the_column_count_spans_every_category() -> None:
    columns = [
        ColumnGroup("a", "A", [Column("a.x", "X", "low"), Column("a.y", "Y", "low")]),
        ColumnGroup("b", "B", [Column("b.z", "Z", "high")]),
    ]
    chain = ChainState(True, True, 0, (0, "0" * 64))
    report = Report("ana@example.com", "now", "1.0", "en", "then", "later", columns, [], chain)
    assert report.column_count == 3
