"""The report's core (core/report): `--since` WHEN, the matrix's groups, and the CSV and
Markdown escaping. Through the CLI (the chain check's answer for a login that may not
read the whole chain among it): tests/cli/test_report.py."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from support import ACME, BOB, OWNER, FakeClock, copy_store, ctx_for

from colabctl.core.clock import parse_moment
from colabctl.core.report import gather, render
from colabctl.errors import Invalid
from colabctl.store.engine import Target

NOW = datetime(2026, 11, 29, 14, 18, 32, tzinfo=UTC)


@pytest.mark.parametrize(
    ("when", "moment"),
    [
        ("7d", "2026-11-22T14:18:32Z"),
        ("90s", "2026-11-29T14:17:02Z"),
        ("2026-11-01", "2026-11-01T00:00:00Z"),
        ("2026-11-01T09:30", "2026-11-01T09:30:00Z"),
        ("2026-11-01T09:30:00-03:00", "2026-11-01T12:30:00Z"),
        ("2030-01-01", "2030-01-01T00:00:00Z"),  # to come: a report with no changes
    ],
)
def test_since_when(when: str, moment: str) -> None:
    assert parse_moment(when, NOW) == moment


@pytest.mark.parametrize(
    "when", ["", "soon", "7 days", "3651d", "2026-02-30", "-7d", "0001-01-01T00:00:00+14:00"]
)
def test_a_bad_since_is_invalid(when: str) -> None:
    with pytest.raises(Invalid):
        parse_moment(when, NOW)


def test_markdown_values_are_text() -> None:
    assert render._md_text("a|b *c* _d_ [e](f) <g> & `h` \\") == (
        r"a\|b \*c\* \_d\_ \[e\](f) \<g\> \& \`h\` \\"
    )
    assert render._md_text("bell\x07") == r"bell\\x07"
    assert str(render._md_code("purchases.request_refunds")) == "`purchases.request_refunds`"
    assert render._md_code("a`b|c") == r"a\`b\|c"


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=cmd@x.com", "'=cmd@x.com"),
        ("+1@x.com", "'+1@x.com"),
        ("-a@x.com", "'-a@x.com"),
        ("@x", "'@x"),
        ("ana@x.com", "ana@x.com"),
        (None, ""),
    ],
)
def test_csv_cells_a_spreadsheet_would_run_are_text(value: str | None, cell: str) -> None:
    assert render._cell(value) == cell


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
