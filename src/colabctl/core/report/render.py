"""Rendering an access report (docs/report.md): HTML and Markdown from jinja2 templates
(templates/), CSV with the csv module. jinja2 is imported here only, so no other command
pays for it.

Stored text is never trusted: the HTML environment autoescapes every value, and the
Markdown one passes every value through `_md_text`, its counterpart for Markdown (table
pipes, emphasis, links and raw HTML all come out as the characters they are). The page's
one stylesheet is inline, and its Content-Security-Policy allows that stylesheet by its
hash and nothing else: no script, image, font, frame or connection, from anywhere.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from colabctl.core.report.model import Report

if TYPE_CHECKING:
    import jinja2

TEMPLATES = Path(__file__).with_name("templates")
FORMATS = ("html", "md", "csv")
CSV_HEADER = ("account", "user", "permission", "profile", "status", "access_until")


def render(report: Report, fmt: str) -> str:
    """The report as FMT (html, md or csv) text."""
    if fmt == "csv":
        return _csv(report)
    css = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    template = _environment(fmt).get_template(f"report.{fmt}.j2")
    return template.render(
        r=report,
        page_lang=report.lang,
        css=_safe(css),
        csp=_csp(css),
        ncols=report.column_count,
        columns=[c for group in report.columns for c in group.columns],
    )


def _csp(css: str) -> str:
    """The page's policy: nothing from anywhere, but for its own inline stylesheet."""
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    return (
        f"default-src 'none'; style-src 'sha256-{digest}'; img-src 'none';"
        " base-uri 'none'; form-action 'none'"
    )


def _safe(text: str) -> Any:
    from markupsafe import Markup

    return Markup(text)


@cache
def _environment(fmt: str) -> jinja2.Environment:
    import jinja2

    options: dict[str, Any] = {
        "loader": jinja2.FileSystemLoader(TEMPLATES),
        "undefined": jinja2.StrictUndefined,
        "trim_blocks": True,
        "lstrip_blocks": True,
        "keep_trailing_newline": True,
        "extensions": ["jinja2.ext.i18n"],
    }
    if fmt == "html":
        env = jinja2.Environment(autoescape=True, finalize=_shown, **options)
    else:
        env = jinja2.Environment(autoescape=False, finalize=_md_shown, **options)
        env.filters["code"] = _md_code
    env.filters["role"] = _role
    env.filters["level"] = _level
    env.filters["status"] = _status
    # The page's sentences in the chosen language (colabctl.i18n; the catalogs hold them),
    # looked up when rendered, so one environment serves every language.
    from colabctl import i18n

    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n._, ngettext=i18n.ngettext, newstyle=True
    )
    return env


# -- the reader's language ------------------------------------------------------------------


def _shown(value: Any) -> Any:
    """A value as printed: a text meant for JSON in English (an audit row's change, a
    finding's message) in the chosen language."""
    from colabctl.i18n import shown

    return shown(value) if isinstance(value, str) else value


def _role(value: str) -> str:
    from colabctl.i18n import pgettext

    return pgettext("role", value) if value == "owner" else value


def _level(value: str) -> str:
    from colabctl.i18n import pgettext

    return pgettext("level", value)


def _status(value: str) -> str:
    from colabctl.i18n import pgettext

    return pgettext("status", value)


# -- Markdown ------------------------------------------------------------------------------

# What makes text more than text in a GitHub-flavoured table cell: the cell separator,
# escapes, code, emphasis, strikethrough, links and images, raw HTML and entities.
_MD_SPECIAL = re.compile(r"([\\`*_~\[\]<>&|])")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _md_text(value: Any) -> str:
    """Every value a Markdown template prints: text, whatever it holds (a value already
    made Markdown by a filter passes as it is)."""
    from markupsafe import Markup

    if isinstance(value, Markup):
        return str(value)
    text = "" if value is None else str(value)
    text = _CONTROL.sub(lambda m: repr(m[0])[1:-1], text)  # "\x1b", shown, never sent
    return _MD_SPECIAL.sub(r"\\\1", text)


def _md_shown(value: Any) -> str:
    return _md_text(_shown(value))


def _md_code(value: Any) -> Any:
    """An id as inline code; anything that could end the span is escaped text instead."""
    from markupsafe import Markup

    text = str(value)
    if re.fullmatch(r"[A-Za-z0-9_.:@+-]+", text):
        return Markup(f"`{text}`")
    return _md_text(text)


# -- CSV -------------------------------------------------------------------------------------

# A spreadsheet reads a cell starting with one of these as a formula (CSV injection);
# only an email can start so, and such a cell is written with a leading apostrophe.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str | None) -> str:
    text = value or ""
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _csv(report: Report) -> str:
    """One row per (account, person, permission) held, the owner's included."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    ids = [c.id for group in report.columns for c in group.columns]
    for account in report.accounts:
        for group in account.groups:
            held = [i for i, yes in zip(ids, group.held, strict=True) if yes]
            status = "owner" if group.owner else "active"
            for person in group.people:
                user, until = _cell(person.user), _cell(person.access_until)
                for perm in held:
                    writer.writerow((account.slug, user, perm, group.role, status, until))
    return buffer.getvalue()
