"""core/report/render.py: a report as an HTML page, Markdown or CSV, stored text never
trusted (escaped in HTML and Markdown; CSV cells a spreadsheet would run as formulas kept
as text); the page allows its own stylesheet and nothing else. Through the CLI:
tests/cli/test_report.py."""

from __future__ import annotations

import base64
import csv
import hashlib
import html
import io
import re

import pytest
from support import ACME, BOB, OWNER, FakeClock, ctx_for

from colabctl.core import accounts
from colabctl.core.report import gather, render
from colabctl.core.report.model import Report
from colabctl.core.session import writing
from colabctl.store.engine import Target

HOSTILE = "<script>alert(1)</script> | *x* [y](z)"


@pytest.fixture
def report(acme_db: Target, clock: FakeClock) -> Report:
    """acme-cursos' report, as its owner reads it, the account renamed to hostile text."""
    owner = ctx_for(acme_db, OWNER, clock)
    with writing(owner) as s:
        accounts.rename_in(s, s.get_account(ACME), HOSTILE)
    return gather.build(owner, accounts=[ACME])


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


def test_csv_is_one_row_per_person_and_permission_held(report: Report) -> None:
    rows = list(csv.reader(io.StringIO(render.render(report, "csv"))))
    assert tuple(rows[0]) == render.CSV_HEADER
    owner = [r for r in rows[1:] if r[1] == OWNER]
    bob = [r for r in rows[1:] if r[1] == BOB]
    assert len(owner) == report.column_count  # the owner holds every permission
    assert {tuple(r[3:]) for r in owner} == {("owner", "owner", "")}
    assert {tuple(r[3:]) for r in bob} == {("soporte", "active", "")}
    assert [r[2] for r in bob] == [
        c.id for g in report.columns for c in g.columns if c.id in {r[2] for r in bob}
    ]
    assert len(rows) == 1 + len(owner) + len(bob)


def test_the_page_escapes_stored_text_and_allows_only_its_stylesheet(report: Report) -> None:
    page = render.render(report, "html")
    assert HOSTILE not in page and "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert policy is not None
    css = (render.TEMPLATES / "report.css").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    assert html.unescape(policy[1]) == (
        f"default-src 'none'; style-src 'sha256-{digest}'; img-src 'none';"
        " base-uri 'none'; form-action 'none'"
    )
    assert css in page  # the stylesheet the hash is of, as it is


def test_markdown_keeps_stored_text_as_text(report: Report) -> None:
    text = render.render(report, "md")
    assert f"## {render._md_text(HOSTILE)} (`{ACME}`)" in text
    assert HOSTILE not in text
