"""`colabctl report` (docs/report.md): its formats, who may see what, its sections, stored
text kept as text, and a page that loads nothing. The page in a real browser:
test_report_browser.py."""

from __future__ import annotations

import base64
import csv
import hashlib
import html as html_module
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import Built, Step, built_by_cli, copy_built
from support import (
    ACME,
    BETA,
    BOB,
    CARLA,
    CNPJ,
    DORA,
    ELI,
    ES_CIF,
    FABIO,
    OWNER,
    ZED,
    Cli,
    FakeClock,
    as_json,
    colabctl,
    ctx_for,
    drop_guards,
    failure,
    hidden,
    ok,
    raw,
    refused,
)
from typer.testing import Result

from colabctl.cli import output
from colabctl.core import review
from colabctl.store.engine import Target

pytestmark = pytest.mark.engines("sqlite", "postgres", "bound")

HOSTILE = "<script>alert(1)</script>"
SOPORTE_HIGH = ["purchases.request_refunds", "purchases.change_buyer_email"]


def _ack_bob(clock: FakeClock, store: Target) -> None:
    """ana acknowledges bob's high-risk finding (a review.ack audit row)."""
    owner = ctx_for(store, OWNER, clock)
    found = [f for f in review.review(owner, account=ACME) if f.subject == BOB]
    review.ack(owner, found[0].id, reason="bob handles refunds", account=ACME)


# ana owns acme-cursos (soporte, tecnico): bob active in soporte; carla invited to tecnico
# (pending); dora active in tecnico until 10 days on; eli's invitation expired; zed, whose
# name is markup, active in tecnico; ana acknowledged bob's finding. fabio owns
# beta-digital (a Spanish CIF), where ana is active in tecnico.
WORLD_STEPS: list[Step] = [
    ["login", OWNER, "--name", "Ana Souza"],
    ["account", "create", ACME, "--name", "Acme Cursos", "--tax-id", CNPJ, "--country", "BR"],
    ["--as", OWNER, "profile", "create", "soporte", "--preset", "soporte", "-a", ACME],
    ["--as", OWNER, "profile", "create", "tecnico", "--preset", "tecnico", "-a", ACME],
    ["login", BOB],
    ["login", CARLA],
    ["login", DORA],
    ["login", ELI],
    ["login", ZED, "--name", HOSTILE],
    ["login", FABIO, "--name", "Fábio Lima"],
    ["--as", OWNER, "invite", BOB, "--profile", "soporte", "-a", ACME],
    ["--as", BOB, "accept", ACME],
    ["--as", OWNER, "invite", DORA, "--profile", "tecnico", "--access-until", "10d", "-a", ACME],
    ["--as", DORA, "accept", ACME],
    ["--as", OWNER, "invite", ZED, "--profile", "tecnico", "-a", ACME],
    ["--as", ZED, "accept", ACME],
    ["--as", OWNER, "invite", ELI, "--profile", "tecnico", "--expires-in", "60s", "-a", ACME],
    lambda clock, store: clock.advance(minutes=2),
    ["--as", OWNER, "invite", CARLA, "--profile", "tecnico", "-a", ACME],
    _ack_bob,
    ["--as", FABIO, "account", "create", BETA, "--name", "Beta Digital"],
    ["--as", FABIO, "account", "set-tax-id", BETA, ES_CIF, "--country", "ES"],
    ["--as", FABIO, "profile", "create", "tecnico", "--preset", "tecnico", "-a", BETA],
    ["--as", FABIO, "invite", OWNER, "--profile", "tecnico", "-a", BETA],
    ["--as", OWNER, "accept", BETA],
]


@pytest.fixture
def world(
    cli: Cli, templates: Any, engine: str, db_path: Target, tmp_path: Path, clock: FakeClock
) -> None:
    built: Built = templates.get(
        "report", engine, lambda folder, store: built_by_cli(folder, WORLD_STEPS, store)
    )
    copy_built(built, db_path, tmp_path)
    clock.advance(minutes=5)  # as the steps left it: eli's invitation has expired


def report(cli: Cli, *args: str, actor: str = OWNER) -> Result:
    return cli("--as", actor, "report", *args)


def page(cli: Cli, *args: str, actor: str = OWNER) -> str:
    return ok(report(cli, *args, "--format", "html", actor=actor)).stdout


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def held_by(rows: list[dict[str, str]], account: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for row in rows:
        if row["account"] == account:
            found.setdefault(row["user"], set()).add(row["permission"])
    return found


# -- what it says -------------------------------------------------------------------------


@pytest.mark.usefixtures("world")
def test_the_csv_holds_exactly_what_matrix_json_says(cli: Cli) -> None:
    rows = csv_rows(ok(report(cli, "--all-accounts", "--format", "csv")).stdout)
    for slug in (ACME, BETA):
        grid = as_json(cli("--as", OWNER, "matrix", "-a", slug, "--json"))
        # pending people are in the grid holding nothing: the CSV has rows for what is held
        expected = {user: set(ids) for user, ids in grid["grants"].items() if ids}
        assert held_by(rows, slug) == expected
    assert {r["user"] for r in rows if r["account"] == ACME} == {OWNER, BOB, DORA, ZED}


@pytest.mark.usefixtures("world")
def test_the_csv_rows_name_profile_status_and_access_until(cli: Cli) -> None:
    text = ok(report(cli, "-a", ACME, "--format", "csv", "--lang", "es")).stdout
    assert text.splitlines()[0] == "account,user,permission,profile,status,access_until"
    rows = csv_rows(text)
    owner = [r for r in rows if r["user"] == OWNER]
    assert len(owner) == 41  # every permission, owner-only included
    assert {(r["profile"], r["status"], r["access_until"]) for r in owner} == {
        ("owner", "owner", "")
    }
    dora = {(r["profile"], r["status"], r["access_until"]) for r in rows if r["user"] == DORA}
    assert dora == {("tecnico", "active", "2026-11-12T09:00:00Z")}
    bob = [r["permission"] for r in rows if r["user"] == BOB]
    assert set(SOPORTE_HIGH) <= set(bob) and "withdrawal.withdraw" not in bob
    # a file format: ids and enums, whatever --lang says
    assert all(r["status"] in ("owner", "active") for r in rows)


@pytest.mark.usefixtures("world")
def test_the_owner_gets_every_section_in_order(cli: Cli) -> None:
    html = page(cli, "-a", ACME)
    sections = ["summary", "matrix", "findings", "invitations", "ending", "changes"]
    places = [html.index(f'id="{name}-{ACME}"') for name in sections]
    assert places == sorted(places)
    assert places[-1] < html.index('id="chain"') < html.index("<footer>")
    summary = html[places[0] : places[1]]
    assert "yes: tax ID 11.222.333/0001-81 (BR)" in summary
    assert re.search(r"Active collaborators</th><td class=\"num\">3<", summary)  # bob dora zed
    assert re.search(r"Pending invitations</th><td class=\"num\">1<", summary)  # carla
    assert re.search(r"within 30 days</th><td class=\"num\">1<", summary)  # dora
    findings = html[places[2] : places[3]]
    assert "high-risk-holder" in findings and "acknowledged by ana.souza@example.com" in findings
    invitations = html[places[3] : places[4]]
    assert CARLA in invitations and ELI in invitations and "expired" in invitations
    ending = html[places[4] : places[5]]
    assert DORA in ending and BOB not in ending
    changes = html[places[5] : html.index('id="chain"')]
    assert "review.ack" in changes and "bob handles refunds" in changes
    assert "tax ID BR 11.222.333/0001-81" in changes  # account.create, for its owner
    assert "Made at 2026-11-02T09:05:00Z by colabctl" in html


@pytest.mark.usefixtures("world")
def test_a_collaborator_gets_no_findings_no_acks_and_no_tax_data(
    cli: Cli, db_path: Target, clock: FakeClock
) -> None:
    owner_findings = [f.id for f in review.review(ctx_for(db_path, OWNER, clock), account=ACME)]
    assert owner_findings
    for fmt in ("html", "md"):
        text = ok(report(cli, "-a", ACME, "--format", fmt, actor=BOB)).stdout
        assert "Review findings are the owner's" in text
        for hidden_text in (
            "11.222.333/0001-81",
            "11222333000181",
            "(BR)",
            "review.ack",
            "handles",
        ):
            assert hidden_text not in text, (fmt, hidden_text)
        assert not any(fid in text for fid in owner_findings)
        assert "account.create" in text and "created as" in text  # without its tax ID
        assert "yes (the tax ID is shown to the owner only)" in text
    # what the collaborator may see is all there: the matrix, invitations, changes
    rows = csv_rows(ok(report(cli, "-a", ACME, "--format", "csv", actor=BOB)).stdout)
    assert set(held_by(rows, ACME)) == {OWNER, BOB, DORA, ZED}


@pytest.mark.usefixtures("world")
@pytest.mark.parametrize("who", [CARLA, ELI, FABIO])
def test_anyone_without_a_role_gets_the_missing_accounts_answer(
    cli: Cli, db_path: Target, who: str
) -> None:
    """carla's invitation is pending, eli's expired; fabio owns another account."""
    hidden(cli, db_path, ACME, "--as", who, "report", "-a", ACME, "--format", "csv")
    hidden(cli, db_path, "nowhere", "--as", who, "report", "-a", "nowhere", "--format", "csv")


@pytest.mark.usefixtures("world")
def test_all_accounts_is_what_the_actor_owns_or_works_in_findings_only_where_owned(
    cli: Cli,
) -> None:
    html = page(cli, "--all-accounts")
    acme, beta = html.index(f'id="account-{ACME}"'), html.index(f'id="account-{BETA}"')
    assert acme < beta
    beta_part = html[beta : html.index('id="chain"')]
    assert "Review findings are the owner's" in beta_part
    assert "B58378431" not in html and "B-58378431" not in html  # fabio's CIF
    assert "high-risk-holder" in html[acme:beta]
    # fabio: his own account only, with its tax ID; bob: acme-cursos only
    fabio = page(cli, "--all-accounts", actor=FABIO)
    assert f'id="account-{BETA}"' in fabio and f'id="account-{ACME}"' not in fabio
    assert "(ES)" in fabio
    bob = page(cli, "--all-accounts", actor=BOB)
    assert f'id="account-{ACME}"' in bob and f'id="account-{BETA}"' not in bob


@pytest.mark.usefixtures("world")
def test_several_accounts_come_in_the_order_given_once_each(cli: Cli) -> None:
    html = page(cli, "-a", BETA, "-a", ACME, "-a", BETA)
    assert html.count('class="account"') == 2
    assert html.index(f'id="account-{BETA}"') < html.index(f'id="account-{ACME}"')


# -- changes since ------------------------------------------------------------------------


def changes_of(html: str, slug: str = ACME) -> str:
    start = html.index(f'id="changes-{slug}"')
    end = html.find('class="account"', start)
    return html[start : end if end != -1 else html.index('id="chain"')]


@pytest.mark.usefixtures("world")
@pytest.mark.parametrize("reader", [OWNER, BOB])
def test_changes_are_audit_logs_rows_in_its_words(cli: Cli, reader: str) -> None:
    """The changes section lists what `audit log` shows the same reader, in its words:
    one wording and one rule of what a collaborator may see, not a second copy."""
    logged = json.loads(
        ok(cli("--as", reader, "audit", "log", "-a", ACME, "--limit", "1000", "--json")).stdout
    )
    text = ok(report(cli, "-a", ACME, "--format", "md", "--since", "3650d", actor=reader)).stdout
    section = text[text.index("## Changes") :]
    assert logged, "the world has a history"
    for row in logged:
        assert row["change"].replace("|", "\\|") in section, row
    assert section.count("\n| ") - 1 == len(logged)  # the header row, then one row each


@pytest.mark.usefixtures("world")
def test_changes_default_to_the_last_30_days(cli: Cli, clock: FakeClock) -> None:
    clock.advance(days=31)
    ok(cli("--as", OWNER, "profile", "edit", "tecnico", "--add", "receipts.send", "-a", ACME))
    recent = changes_of(page(cli, "-a", ACME))
    assert "tecnico: +receipts.send" in recent
    # that write also recorded that carla's invitation expired, a week in
    assert re.findall(r"<code>([a-z_.]+)</code>", recent) == ["profile.edit", "invitation.expire"]
    assert "2 changes to acme-cursos" in recent
    everything = changes_of(page(cli, "-a", ACME, "--since", "2026-11-01"))
    assert "invitation.create" in everything and "tecnico: +receipts.send" in everything


@pytest.mark.usefixtures("world")
@pytest.mark.parametrize(
    ("since", "has_changes"),
    [
        ("1h", True),
        ("3m", True),  # carla's invitation, 2 minutes in (the report is made at 5)
        ("1m", False),
        ("2026-11-02", True),
        ("2026-11-02T09:03:00Z", False),
        ("2026-11-02T10:00:00+02:00", True),  # 08:00 UTC
        ("2099-01-01", False),  # still to come: nothing has happened since
    ],
)
def test_since_takes_a_date_a_date_time_or_a_duration_back(
    cli: Cli, since: str, has_changes: bool
) -> None:
    shown = changes_of(page(cli, "-a", ACME, "--since", since))
    assert ("No changes since" not in shown) == has_changes, shown


@pytest.mark.usefixtures("world")
@pytest.mark.parametrize("since", ["yesterday", "7 days", "2026-13-01", "99999d", ""])
def test_a_bad_since_exits_6(cli: Cli, db_path: Target, since: str) -> None:
    refused(cli, db_path, 6, "--as", OWNER, "report", "-a", ACME, "--since", since)


# -- formats and files --------------------------------------------------------------------


@pytest.mark.usefixtures("world")
@pytest.mark.parametrize(
    ("args", "name", "starts"),
    [
        ((), "r.html", "<!DOCTYPE html>"),
        ((), "r.HTM", "<!DOCTYPE html>"),
        ((), "r.md", "# Access report"),
        ((), "r.csv", "account,user,permission"),
        ((), "r.txt", "<!DOCTYPE html>"),
        ((), "report", "<!DOCTYPE html>"),
        (("--format", "md"), "r.csv", "# Access report"),
        (("--format", "csv"), "r.html", "account,user,permission"),
    ],
)
def test_the_format_is_format_else_the_extension_else_html(
    cli: Cli, tmp_path: Path, args: tuple[str, ...], name: str, starts: str
) -> None:
    target = tmp_path / "out" / name
    result = ok(report(cli, "-a", ACME, "-o", str(target), *args))
    assert result.stdout == ""
    assert result.stderr == f"wrote {target}\n"
    assert target.read_text(encoding="utf-8").startswith(starts)


@pytest.mark.usefixtures("world")
def test_html_on_a_terminal_is_refused_and_piped_it_is_written(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert ok(report(cli, "-a", ACME)).stdout.startswith("<!DOCTYPE html>")  # a pipe
    monkeypatch.setattr(output, "stdout_is_terminal", lambda: True)
    failure(report(cli, "-a", ACME), 6, hint="-o report.html")
    failure(report(cli, "-a", ACME, "--format", "html"), 6, hint="-o report.html")
    # Markdown and CSV are text to read there; `-o -` asks for the page on stdout
    assert ok(report(cli, "-a", ACME, "--format", "md")).stdout.startswith("# Access report")
    assert ok(report(cli, "-a", ACME, "-o", "-")).stdout.startswith("<!DOCTYPE html>")
    assert list(tmp_path.glob("*.html")) == []


@pytest.mark.engines("sqlite")
@pytest.mark.usefixtures("world")
def test_the_store_is_never_the_output(cli: Cli, db_path: Target) -> None:
    refused(cli, db_path, 4, "--as", OWNER, "report", "-a", ACME, "-o", str(db_path))


@pytest.mark.usefixtures("world")
def test_a_failed_write_exits_6_naming_the_file_and_leaves_nothing(
    cli: Cli, db_path: Target, tmp_path: Path
) -> None:
    before = sorted(tmp_path.iterdir())
    # a folder in the way is a file; a name whose temporary file is too long for the
    # filesystem fails only once its folders were made, which then go again
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    for target in (blocker / "r.html", tmp_path / "new" / "deeper" / ("r" * 250 + ".html")):
        result = refused(cli, db_path, 6, "--as", OWNER, "report", "-a", ACME, "-o", str(target))
        assert str(target) in result.stderr
    assert sorted(tmp_path.iterdir()) == sorted([*before, blocker])


# -- stored text is text; the page loads nothing --------------------------------------------


@pytest.mark.usefixtures("world")
def test_stored_markup_is_text_in_html_and_markdown(cli: Cli) -> None:
    html = page(cli, "-a", ACME)
    assert HOSTILE not in html and "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    md = ok(report(cli, "-a", ACME, "--format", "md")).stdout
    assert r"\<script\>alert(1)\</script\>" in md
    assert HOSTILE not in md


@pytest.mark.usefixtures("world")
def test_markdown_tables_keep_their_shape(cli: Cli) -> None:
    ok(cli("login", BOB, "--name", "A | B *bold* [x](y)"))  # a table's pipe in a name
    md = ok(report(cli, "--all-accounts", "--format", "md")).stdout
    assert r"A \| B \*bold\* \[x\](y)" in md
    tables = re.findall(r"(?:^\|.*\|$\n?)+", md, re.MULTILINE)
    assert len(tables) >= 8
    for table in tables:
        widths = {len(re.findall(r"(?<!\\)\|", line)) for line in table.splitlines()}
        assert len(widths) == 1, table


@pytest.mark.usefixtures("world")
def test_the_page_loads_nothing_and_its_policy_allows_only_its_own_style(cli: Cli) -> None:
    html = page(cli, "--all-accounts")
    for pattern in (
        r"<script",
        r"\ssrc\s*=",
        r"srcset",
        r"<link",
        r"url\(",
        r"@import",
        r"http-equiv=\"refresh\"",
        r"<iframe|<object|<embed|<img|<form",
        r"\sstyle\s*=",  # an inline style attribute would need 'unsafe-inline'
        r"\son[a-z]+\s*=",  # event handlers
    ):
        assert not re.search(pattern, html, re.IGNORECASE), pattern
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert policy is not None
    rules = dict(rule.strip().split(" ", 1) for rule in html_module.unescape(policy[1]).split(";"))
    assert rules["default-src"] == "'none'"
    styles = re.findall(r"<style>(.*?)</style>", html, re.DOTALL)
    assert len(styles) == 1
    digest = base64.b64encode(hashlib.sha256(styles[0].encode()).digest()).decode()
    assert rules["style-src"] == f"'sha256-{digest}'"
    assert "prefers-color-scheme: dark" in styles[0] and "@media print" in styles[0]
    assert "size: A4 landscape" in styles[0]


@pytest.mark.usefixtures("world")
def test_the_page_is_built_for_reading_aloud(cli: Cli) -> None:
    html = page(cli, "-a", ACME)
    tables = html.count("<table")
    assert tables == html.count("<caption") >= 5
    assert re.search(r'<html lang="en">', html)
    assert html.count('<th scope="row"') >= 4 and 'scope="colgroup"' in html
    # high risk and owner only are said in words, not only in colour
    assert html.count(">high risk</strong>") == 6 and html.count(">owner only</strong>") == 4


@pytest.mark.usefixtures("world")
def test_the_page_and_its_labels_follow_lang(cli: Cli) -> None:
    html = page(cli, "-a", ACME, "--lang", "es")
    assert '<html lang="es">' in html
    assert ">Solicitar Reembolsos <" in html and ">Retirada</span>" in html
    assert "<h1>Informe de accesos</h1>" in html


# -- the chain ------------------------------------------------------------------------------


@pytest.mark.engines("sqlite", "postgres")  # a team login checks none (test_a_team_login_...)
@pytest.mark.usefixtures("world")
def test_the_chain_is_intact_and_its_head_is_audit_heads(cli: Cli) -> None:
    head = as_json(cli("audit", "head", "--json"))
    html = page(cli, "-a", ACME)
    assert "<strong>Intact</strong>" in html
    assert f'<code class="head">{head["seq"]}:{head["hash"]}</code>' in html
    assert "replays the log" in html
    md = ok(report(cli, "-a", ACME, "--format", "md")).stdout
    assert f"`{head['seq']}:{head['hash']}`" in md


@pytest.mark.engines("bound")
@pytest.mark.usefixtures("world")
@pytest.mark.parametrize("reader", [OWNER, BOB])
def test_a_team_login_gets_the_head_of_audit_head_and_no_chain_check(cli: Cli, reader: str) -> None:
    """On a server, as a bound login (the owner's too): it may not read the whole chain
    (docs/postgres.md), so the report says so and gives the head `audit head` gives."""
    head = as_json(cli("--as", reader, "audit", "head", "--json"))
    assert head["seq"] > 0
    for fmt, spelt in (("html", '<code class="head">{}</code>'), ("md", "`{}`")):
        text = ok(report(cli, "-a", ACME, "--format", fmt, actor=reader)).stdout
        assert "Chain not checked (store owner only)." in text
        assert spelt.format(f"{head['seq']}:{head['hash']}") in text
        assert "Intact" not in text


@pytest.mark.engines("sqlite", "postgres")  # a team login checks none (test_a_team_login_...)
@pytest.mark.usefixtures("world")
def test_a_broken_chain_is_said(cli: Cli, db_path: Target) -> None:
    drop_guards(db_path)
    raw(db_path, "UPDATE audit SET target = 'someone@else.com' WHERE seq = 5")
    html = page(cli, "-a", ACME)
    assert "<strong>Broken</strong>: at seq 5" in html


# -- CSV for spreadsheets -----------------------------------------------------------------------


def test_a_cell_a_spreadsheet_would_run_is_written_as_text(
    cli: Cli, tmp_path: Path, legal_account: str
) -> None:
    formula = "=cmd|'/c'!A0@example.com"
    ok(cli("login", formula))
    ok(cli("--as", OWNER, "invite", formula, "--profile", "soporte", "-a", ACME))
    ok(cli("--as", formula, "accept", ACME))
    rows = csv_rows(ok(report(cli, "-a", ACME, "--format", "csv")).stdout)
    assert {r["user"] for r in rows} == {OWNER, "'" + formula}
    # JSON keeps the value as stored
    assert formula in json.dumps(as_json(cli("--as", OWNER, "matrix", "-a", ACME, "--json")))


@pytest.mark.slow
@pytest.mark.engines("sqlite")
@pytest.mark.usefixtures("world")
def test_a_real_terminal_gets_no_page(db_path: Target) -> None:
    """stdout on a pseudo-terminal, as at a prompt: refused, nothing written to it."""
    import os
    import pty

    main, terminal = pty.openpty()
    try:
        done = colabctl("--as", OWNER, "report", "-a", ACME, db=db_path, stdout=terminal)
        os.close(terminal)
        shown = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the terminal's other end is closed: all read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(main)
    assert done.returncode == 6 and shown == b""
    assert done.stderr.splitlines()[0].startswith("error: an HTML report")
    piped = colabctl("--as", OWNER, "report", "-a", ACME, db=db_path)
    assert piped.returncode == 0 and piped.stdout.startswith("<!DOCTYPE html>")
