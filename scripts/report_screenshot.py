"""The README's picture of the access report: docs/report-screenshot.png.

    python scripts/report_screenshot.py [--out docs/report-screenshot.png]

Builds `colabctl demo`'s store in a temporary folder at a fixed moment (so the picture
only changes when the page does), makes its owner's report of acme-cursos, and shoots the
top of the page in Debian's chromium, set up exactly as the browser tests set it up
(tests/browser.py: offline, an empty profile, never a browser download).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browser import browser, file_url, missing  # noqa: E402

from colabctl.core import demo  # noqa: E402
from colabctl.core.report import gather, render  # noqa: E402
from colabctl.core.session import Context  # noqa: E402

MOMENT = datetime(2026, 11, 29, 14, 18, 32, tzinfo=UTC)
WIDTH, HEIGHT = 1440, 900


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "report-screenshot.png")
    args = parser.parse_args()
    why = missing()
    if why is not None:
        sys.exit(why)
    with tempfile.TemporaryDirectory(prefix="colabctl-shot-") as folder:
        store = Path(folder) / "colabctl-demo.db"
        demo.build(store, clock=lambda: MOMENT)
        owner = Context(db=str(store), actor=demo.OWNER, clock=lambda: MOMENT)
        page = Path(folder) / "report.html"
        page.write_text(render.render(gather.build(owner, accounts=["acme-cursos"]), "html"))
        with browser(viewport={"width": WIDTH, "height": HEIGHT}, color_scheme="light") as ctx:
            tab = ctx.new_page()
            tab.goto(file_url(page), wait_until="load")
            # from the account's title to the end of its matrix: who can do what
            top = tab.locator("section.account h2").first.bounding_box()
            end = tab.locator("table.matrix").first.bounding_box()
            assert top is not None and end is not None
            clip = {"x": 0, "y": top["y"] - 8, "width": WIDTH}
            clip["height"] = end["y"] + end["height"] + 16 - clip["y"]
            tab.screenshot(path=str(args.out), clip=clip, full_page=True)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1000:.0f} kB)")


if __name__ == "__main__":
    main()
