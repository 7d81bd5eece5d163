"""The report's core (core/report): `--since` WHEN, the chain check's answer for a login
that may not read the whole chain, and the CSV and Markdown escaping. Through the CLI:
tests/cli/test_report.py.

Engines: SQLite only: the store is only where the report's data comes from; the CLI tests
make reports on both engines."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from support import ACME, BOB, OWNER, FakeClock, acme_store, ctx_for

from colabctl.core.clock import parse_moment
from colabctl.core.report import gather, render
from colabctl.errors import Forbidden, Invalid

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


def test_a_login_that_may_not_read_the_chain_gets_the_recorded_head(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    db = acme_store(tmp_path / "store.db", clock)

    def refused(conn: Any) -> Any:
        raise Forbidden("the database refused: permission denied for table audit")

    monkeypatch.setattr(gather, "verify_chain_only", refused)
    found = gather.build(ctx_for(db, OWNER, clock), accounts=[ACME])
    head = found.chain.head
    assert not found.chain.checked and found.chain.intact is None
    assert head is not None and head[0] > 0
    for fmt in ("html", "md"):
        assert "Chain not checked (store owner only)." in render.render(found, fmt)


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


def test_the_matrix_groups_people_by_what_they_hold(tmp_path: Any) -> None:
    clock = FakeClock()
    db = acme_store(tmp_path / "store.db", clock)
    found = gather.build(ctx_for(db, OWNER, clock), accounts=[ACME])
    (acme,) = found.accounts
    assert [(g.role, [p.user for p in g.people]) for g in acme.groups] == [
        ("owner", [OWNER]),
        ("soporte", [BOB]),
    ]
    assert all(acme.groups[0].held) and len(acme.groups[0].held) == found.column_count
