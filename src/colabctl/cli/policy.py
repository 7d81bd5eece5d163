"""`colabctl test`: policy tests for CI (docs/policy-tests.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from colabctl.cli import output
from colabctl.cli.common import JsonOpt, command, context, examples
from colabctl.errors import ExitCode
from colabctl.i18n import _, shown

if TYPE_CHECKING:
    from colabctl.core.policy import Report, Result

app = typer.Typer()

# The sample tests `colabctl demo` writes beside its store (core/demo.py).
EPILOG = examples(
    "colabctl test demo-policy/",
    "colabctl test demo-policy/ --junit reports/policy.xml --min-coverage 10",
    "colabctl test demo-policy/matrix.toml --update",
    "colabctl test demo-policy/acme.toml --team demo-policy/team.toml --json",
)


# long: a command's signature is its options (most of its lines); the body is short
@command(app, epilog=EPILOG)
def test(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Test files, or folders of them (every *.toml holding check, only or matrix).",
            show_default=False,
        ),
    ],
    team: Annotated[
        str | None,
        typer.Option(
            "--team",
            help="Judge the state this team file asks for, in a scratch store (for test"
            " files that name no `team`). Default: the live store, read-only.",
            show_default=False,
            metavar="FILE",
        ),
    ] = None,
    junit: Annotated[
        str | None,
        typer.Option(
            "--junit", help="Also write JUnit XML to FILE.", show_default=False, metavar="FILE"
        ),
    ] = None,
    as_json: JsonOpt = False,
    update: Annotated[
        bool, typer.Option("--update", help="Write the matrix snapshots anew.")
    ] = False,
    min_coverage: Annotated[
        float | None,
        typer.Option(
            "--min-coverage",
            help="Fail unless the assertions name at least PCT% of the delegable catalog.",
            show_default=False,
            metavar="PCT",
        ),
    ] = None,
) -> None:
    """Run policy tests: allow/deny checks, `only` invariants and matrix snapshots.

    Exit 0 all passed, 1 any failed (or coverage below --min-coverage), 6 a malformed
    test or team file (file and line named), 7 a store error.
    """
    from colabctl.core import policy
    from colabctl.errors import ColabError

    report = policy.run(context(), paths, team=team, update=update, min_coverage=min_coverage)
    unwritten: ColabError | None = None
    if junit is not None:
        try:
            output.write_output(
                junit, junit_xml(report).decode("utf-8"), store=context().store_file()
            )
        except ColabError as exc:  # the results are printed all the same, then this error
            unwritten = exc
    for note in report.notes:
        output.say(note)  # a Text from core: shown translated
    if as_json:
        output.emit_json(report.as_json())
    else:
        _print(report)
    if unwritten is not None:
        raise unwritten
    if not report.ok:
        raise typer.Exit(ExitCode.NO)


def failure_lines(result: Result) -> list[str]:
    """FILE:LINE: ACCOUNT USER PERMISSION: expected E, actual A (REASON)."""
    case = result.case
    where = f"{case.file}:{case.line}" if case.line else case.file
    lines = []
    for miss in result.misses:
        names = {
            "where": where,
            "account": case.account,
            "user": miss.user or "-",
            "permission": miss.permission or "-",
            "expected": shown(miss.expected),
            "actual": shown(miss.actual),
        }
        lines.append(
            _(
                "%(where)s: %(account)s %(user)s %(permission)s: expected %(expected)s,"
                " actual %(actual)s"
            )
            % names
        )
    return lines


def _print(report: Report) -> None:
    for file in report.files:
        for result in file.results:
            if not result.passed:
                for line in failure_lines(result):
                    output.emit_line(line)
    cov = report.coverage
    total = len(cov.named) + len(cov.uncovered)
    names = {
        "named": len(cov.named),
        "total": total,
        "percent": f"{cov.percent:.1f}%",
        "minimum": f"{cov.minimum:g}%" if cov.minimum is not None else "",
    }
    if cov.below:
        output.emit_line(
            _(
                "coverage: %(named)d of %(total)d delegable permissions (%(percent)s), below"
                " --min-coverage %(minimum)s; not named by any assertion:"
            )
            % names
        )
        for perm_id in cov.uncovered:
            output.emit_line(f"  {perm_id}")
    else:
        output.say(
            _("coverage: %(named)d of %(total)d delegable permissions (%(percent)s)") % names
        )
    output.emit_line(
        _("%(passed)d passed, %(failed)d failed")
        % {"passed": report.passed, "failed": report.failed}
    )


def junit_xml(report: Report) -> bytes:
    """JUnit XML: one testsuite per test file, one testcase per assertion."""
    import xml.etree.ElementTree as ET

    root = ET.Element(
        "testsuites",
        name="colabctl test",
        tests=str(report.passed + report.failed),
        failures=str(report.failed),
        errors="0",
    )
    for file in report.files:
        failed = sum(not r.passed for r in file.results)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=file.shown,
            tests=str(len(file.results)),
            failures=str(failed),
            errors="0",
            skipped="0",
        )
        for result in file.results:
            case = result.case
            element = ET.SubElement(
                suite,
                "testcase",
                name=case.name,
                classname=f"{file.shown}:{case.line}",
                file=file.shown,
                line=str(case.line),
            )
            if not result.passed:
                lines = failure_lines(result)
                failure = ET.SubElement(element, "failure", message=lines[0] if lines else "failed")
                failure.set("type", case.kind)
                failure.text = "\n".join(lines)
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"
