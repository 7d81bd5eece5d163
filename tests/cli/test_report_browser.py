"""The report's page in a real browser (docs/report.md): Debian's chromium through the
DevTools protocol (tests/browser.py), offline. The page loads from a file asking for
nothing else, logs no error, holds the demo's matrix cell for cell, shows stored markup
as text, draws at 1280 and 390 pixels, with and without JavaScript, light and dark, and
prints to A4 landscape pages.

Skipped without chromium, unless COLABCTL_REQUIRE_BROWSER=1 (.ci/run sets it).

Engines: sqlite: the page is what the browser judges, and it is the same whichever
engine the store is on (tests/cli/test_report.py holds the report on both); the demo
store it reports on is a SQLite file."""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import browser, file_url, require
from support import OWNER, Cli, FakeClock, add_holders, ok

from colabctl.core import demo
from colabctl.store.engine import Target

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.engines("sqlite")]

HOSTILE = "<script>alert(1)</script>"


@pytest.fixture(autouse=True)
def chromium() -> None:
    require()


@pytest.fixture
def demo_report(cli: Cli, db_path: Target, clock: FakeClock, tmp_path: Path) -> Path:
    """The demo store's report, as its owner would make it (plus one collaborator whose
    display name is markup)."""
    assert isinstance(db_path, Path)
    demo.build(db_path, clock=clock)
    ok(cli("login", "zed@example.com", "--name", HOSTILE))
    ok(cli("--as", OWNER, "invite", "zed@example.com", "--profile", "tecnico", "-a", "acme-cursos"))
    ok(cli("--as", "zed@example.com", "accept", "acme-cursos"))
    out = tmp_path / "report.html"
    ok(cli("--as", OWNER, "report", "-a", "acme-cursos", "-o", str(out)))
    return out


class Visit:
    """A page loaded in a fresh browser, with what it asked for and what it said."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.requests: list[str] = []
        self.console: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("console", lambda m: self.console.append((m.type, m.text)))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("dialog", self._dialog)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


@pytest.fixture
def visit(demo_report: Path) -> Iterator[Visit]:
    with browser(viewport={"width": 1280, "height": 900}) as context:
        seen = Visit(context.new_page())
        seen.page.goto(file_url(demo_report), wait_until="load")
        yield seen


def test_the_page_loads_from_its_file_asking_for_nothing_else(
    visit: Visit, demo_report: Path
) -> None:
    assert visit.requests == [file_url(demo_report)]
    assert visit.console == [] and visit.errors == [] and visit.dialogs == []
    assert visit.page.title().startswith("Access report: acme-cursos")


def test_a_page_that_asks_for_something_is_caught(tmp_path: Path) -> None:
    """The listener above can fail: a remote image is seen as a request, and a script
    against the policy is an error in the console."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!DOCTYPE html><meta http-equiv="Content-Security-Policy" content="script-src'
        ' \'none\'"><title>x</title><img src="http://example.com/x.png" alt="">'
        "<script>document.title = 'ran'</script>",
        encoding="utf-8",
    )
    with browser() as context:
        seen = Visit(context.new_page())
        seen.page.goto(file_url(bad), wait_until="load")
        assert "http://example.com/x.png" in seen.requests
        assert any(kind == "error" for kind, _ in seen.console)
        assert seen.page.title() == "x"


# Each row of the matrix: the person, and the permission ids ticked (from the headings'
# titles), read from the DOM as a reader's browser built it.
MATRIX_JS = """
table => {
  const ids = [...table.querySelectorAll('thead tr:last-child th')].map(th => th.title);
  const rows = {};
  for (const tr of table.querySelectorAll('tbody tr:not(.group)')) {
    const who = tr.querySelector('th[scope=row]').firstChild.textContent.trim();
    const cells = [...tr.querySelectorAll('td')].slice(2);
    rows[who] = cells.flatMap((td, i) => td.textContent.trim() === '✓' ? [ids[i]] : []);
  }
  return rows;
}
"""


def test_the_matrix_holds_the_demos_cells(visit: Visit, cli: Cli) -> None:
    import json

    shown = visit.page.locator("table.matrix").evaluate(MATRIX_JS)
    grid = json.loads(ok(cli("--as", OWNER, "matrix", "-a", "acme-cursos", "--json")).stdout)
    expected = {user: ids for user, ids in grid["grants"].items() if ids}
    assert shown == expected
    assert "purchases.request_refunds" in shown["bruno.costa@example.com"]
    assert "withdrawal.withdraw" not in shown["bruno.costa@example.com"]
    assert len(shown[OWNER]) == 41
    headings = visit.page.locator("table.matrix thead th[scope=col]").all_inner_texts()
    assert any("HIGH RISK" in h and "Withdraw" in h for h in headings)  # in words
    captions = visit.page.locator("caption").all_inner_texts()
    assert len(captions) == visit.page.locator("table").count() >= 5


def test_stored_markup_is_shown_as_text(visit: Visit) -> None:
    zed = visit.page.locator("table.matrix th[scope=row]", has_text="zed@example.com")
    assert zed.locator(".name").inner_text() == HOSTILE
    assert visit.page.locator("script").count() == 0
    assert visit.dialogs == []


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize(
    ("width", "scheme", "javascript"),
    [(1280, "light", True), (390, "dark", True), (1280, "dark", False), (390, "light", False)],
)
def test_screenshots_at_desktop_and_phone_widths(
    demo_report: Path, tmp_path: Path, width: int, scheme: str, javascript: bool
) -> None:
    options = {"width": width, "height": 800}
    with browser(viewport=options, color_scheme=scheme, java_script_enabled=javascript) as ctx:
        page = ctx.new_page()
        page.goto(file_url(demo_report), wait_until="load")
        shot = tmp_path / f"report-{width}-{scheme}.png"
        page.screenshot(path=str(shot), full_page=True)
        background = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
        page_width = page.evaluate("document.documentElement.scrollWidth")
        matrix_rows = page.locator("table.matrix tbody tr:not(.group)").count()
    shot_width, shot_height = png_size(shot)
    assert shot_width == width and shot_height > 800
    # the page never scrolls sideways: only the matrix does, inside its region
    assert page_width == width
    assert matrix_rows == 5  # ana, bruno, carla, diego, zed
    channels = [int(c) for c in re.findall(r"\d+", background)[:3]]
    assert (sum(channels) < 100) if scheme == "dark" else (sum(channels) > 700), background


def pdf_pages(data: bytes) -> list[tuple[float, float]]:
    """(width, height) of each page of a PDF, in points."""
    assert data.startswith(b"%PDF-")
    boxes = re.findall(rb"/Type\s*/Page\b.*?/MediaBox\s*\[([^\]]+)\]", data, re.DOTALL)
    if not boxes:  # chromium may put the MediaBox before /Type
        boxes = re.findall(rb"/MediaBox\s*\[([^\]]+)\]", data)
    sizes = []
    for box in boxes:
        x0, y0, x1, y1 = (float(v) for v in box.split())
        sizes.append((x1 - x0, y1 - y0))
    return sizes


def test_printing_gives_a4_landscape_pages_with_the_matrix_headings_repeated(
    cli: Cli, demo_report: Path, db_path: Target, clock: FakeClock, tmp_path: Path
) -> None:
    assert isinstance(db_path, Path)
    add_holders(db_path, 150, active_every=1, clock=clock)  # a matrix longer than a page
    big = tmp_path / "big.html"
    ok(cli("--as", OWNER, "report", "-a", "acme-cursos", "-o", str(big)))
    with browser() as context:
        page = context.new_page()
        page.goto(file_url(big), wait_until="load")
        page.emulate_media(media="print")
        repeated = page.evaluate(
            "getComputedStyle(document.querySelector('table.matrix thead')).display"
        )
        pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    assert repeated == "table-header-group"  # printed atop every page the table spans
    pages = pdf_pages(pdf)
    assert len(pages) >= 3, len(pages)
    for width, height in pages:  # A4 landscape: 297 x 210 mm
        assert abs(width - 841.9) < 2 and abs(height - 595.3) < 2, (width, height)
