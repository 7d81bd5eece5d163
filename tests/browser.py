"""A real browser for the report's page (docs/report.md): Debian's `chromium`, driven
through the DevTools protocol by Playwright, so that a test sees every request the page
attempts and every console message. Never a browser download: Playwright is given the
system's binary.

Shared by tests/cli/test_report_browser.py and scripts/report_screenshot.py (the README's
screenshot), so both see the page the same way. Where chromium or Playwright is missing,
`require()` skips the test, unless COLABCTL_REQUIRE_BROWSER=1 (set by .ci/run), which
makes it a failure: CI never passes by skipping the browser tests.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

CHROMIUM = os.environ.get("COLABCTL_CHROMIUM", "/usr/bin/chromium")
# Headless, with everything that would reach the network on its own turned off; the
# pages' own network is cut by the context (offline) and a proxy that goes nowhere.
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
]
MISSING = (
    f"no browser: the report's page tests need Debian's chromium ({CHROMIUM}) and"
    " Playwright for Python (the test extra)"
)


def missing() -> str | None:
    """Why the browser cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return MISSING
    if not (os.access(CHROMIUM, os.X_OK) or shutil.which(CHROMIUM)):
        return MISSING
    return None


def require() -> None:
    """Skip the calling test without a browser; fail it if one is required."""
    import pytest

    why = missing()
    if why is not None:
        if os.environ.get("COLABCTL_REQUIRE_BROWSER") == "1":
            pytest.fail(why + " (COLABCTL_REQUIRE_BROWSER=1)")
        pytest.skip(why)


@contextmanager
def browser(**options: Any) -> Iterator[BrowserContext]:
    """A fresh chromium with an empty profile of its own, offline, as one context (its
    OPTIONS: viewport, color_scheme, java_script_enabled, ...)."""
    from playwright.sync_api import sync_playwright

    with (
        tempfile.TemporaryDirectory(prefix="colabctl-chromium-") as profile,
        sync_playwright() as p,
    ):
        context = p.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            args=ARGS,
            headless=True,
            offline=True,
            **options,
        )
        try:
            yield context
        finally:
            context.close()


def file_url(path: Path) -> str:
    return path.resolve().as_uri()
