"""core/policy.py: policy tests (docs/policy-tests.md). A test file's cases (`[[check]]`'s
allows and denies, `[[only]]`, `[[matrix]]`) read with their lines, every fault naming the
file and line; each case judged by `access.decide` over the live store as the actor sees
it, or over a scratch store built from a team file alone; matrix snapshots written and
compared; the coverage of the delegable permissions."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from support import ACME, BOB, OWNER, SOPORTE_HAS, TECNICO_HAS, dump, write

from colabctl.core import collaborators, policy
from colabctl.core.catalog import catalog
from colabctl.core.session import Context
from colabctl.errors import Invalid
from colabctl.store.engine import Target

As = Callable[[str | None], Context]

CHECKS = f"""# what bob may do
[[check]]
account = "{ACME}"
user = "{BOB}"
allow = ["{SOPORTE_HAS}"]
deny = ["{TECNICO_HAS}", "Retirar"]

[[only]]
account = "{ACME}"
permission = "{SOPORTE_HAS}"
holders = ["owner", "profile:soporte"]
"""


def refusal(path: Path) -> Invalid:
    with pytest.raises(Invalid) as caught:
        policy.collect([str(path)])
    return caught.value


# -- reading test files ---------------------------------------------------------------------


def test_each_allow_deny_and_only_is_a_case_at_its_line(tmp_path: Path) -> None:
    (found,), notes = policy.collect([str(write(tmp_path / "t.toml", CHECKS))])
    assert notes == []
    assert [(c.kind, c.line, c.permission.id if c.permission else None) for c in found.cases] == [
        ("allow", 2, SOPORTE_HAS),
        ("deny", 2, TECNICO_HAS),
        ("deny", 2, "withdrawal.withdraw"),  # a label, as its id
        ("only", 8, SOPORTE_HAS),
    ]
    assert found.cases[3].name == f"only owner, profile:soporte hold {SOPORTE_HAS}"


def test_a_folder_holds_test_files_and_what_is_not_one_is_noted(tmp_path: Path) -> None:
    write(tmp_path / "a.toml", CHECKS)
    write(tmp_path / "notes.toml", 'title = "not a test"\n')
    write(tmp_path / "team.toml", "version = 1\n[accounts.x]\n")  # a team file: not noted
    files, notes = policy.collect([str(tmp_path)])
    assert [f.shown for f in files] == [str(tmp_path / "a.toml")]
    assert [str(n) for n in notes] == [
        f"skipped {tmp_path / 'notes.toml'}: no [[check]], [[only]] or [[matrix]]"
    ]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert refusal(empty).message == (
        f"{empty}: no test files in it (*.toml with [[check]], [[only]] or [[matrix]])"
    )


def test_what_is_not_a_test_file_is_refused_with_a_way_on(tmp_path: Path) -> None:
    team = refusal(write(tmp_path / "team.toml", "version = 1\n[accounts.x]\n"))
    assert (
        team.message
        == f"{tmp_path / 'team.toml'}: not a test file (no [[check]], [[only]] or [[matrix]])"
    )
    assert (
        team.hint == "that is a team file: pass it with --team, or name it in a test file's `team`"
    )
    missing = refusal(tmp_path / "none.toml")
    assert missing.message == f"{tmp_path / 'none.toml'}: no such file or folder"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            '[[check]]\naccount = "a-b"\nuser = "x@example.com"\nallow = ["nope"]\n',
            ', line 4: unknown permission "nope"',
        ),
        (
            '[[check]]\naccount = "a-b"\nuser = "x@example.com"\n',
            ", line 1: [[check]]: give `allow`, `deny` or both",
        ),
        (
            '[[only]]\naccount = "a-b"\npermission = "products.view"\nholders = ["boss"]\n',
            ', line 4: [[only]]: holder "boss" is not',
        ),
        (
            '[[matrix]]\naccount = "Not A Slug"\nfile = "m.json"\n',
            ", line 2: [[matrix]]: account slug",
        ),
        ("oops = 1\n[[check]]\n", ', line 1: unknown key "oops"'),
    ],
)
def test_a_fault_names_the_file_and_line(tmp_path: Path, text: str, says: str) -> None:
    path = write(tmp_path / "t.toml", text)
    assert refusal(path).message.startswith(f"{path}{says}")


# -- judging ----------------------------------------------------------------------------------


@pytest.mark.engines("sqlite", "postgres")
def test_cases_pass_and_fail_by_the_decision_can_uses(
    acme_db: Target, ctx_as: As, tmp_path: Path
) -> None:
    path = write(tmp_path / "t.toml", CHECKS)
    report = policy.run(ctx_as(OWNER), [str(path)])
    assert (report.passed, report.failed, report.ok) == (4, 0, True)
    collaborators.set_profile(ctx_as(OWNER), BOB, "tecnico", account=ACME)
    report = policy.run(ctx_as(OWNER), [str(path)])
    failed = [r for f in report.files for r in f.results if not r.passed]
    assert [(r.case.kind, r.reason) for r in failed] == [
        ("allow", "not-granted"),
        ("deny", "profile:tecnico"),
    ]
    assert [(m.user, m.permission, m.actual) for m in failed[1].misses] == [
        (BOB, TECNICO_HAS, "allowed (profile:tecnico)")
    ]


@pytest.mark.engines("sqlite", "postgres")
def test_an_unknown_account_fails_every_case_even_a_deny(
    acme_db: Target, ctx_as: As, tmp_path: Path
) -> None:
    text = CHECKS.replace(ACME, "no-such")
    report = policy.run(ctx_as(OWNER), [str(write(tmp_path / "t.toml", text))])
    assert report.passed == 0
    assert {r.reason for f in report.files for r in f.results} == {"unknown-account"}


@pytest.mark.engines("sqlite", "postgres")
def test_a_matrix_snapshot_is_written_then_held(
    acme_db: Target, ctx_as: As, tmp_path: Path
) -> None:
    test = write(tmp_path / "m.toml", f'[[matrix]]\naccount = "{ACME}"\nfile = "acme.json"\n')
    snapshot = tmp_path / "acme.json"
    missing = policy.run(ctx_as(OWNER), [str(test)])
    assert [m.actual for m in missing.files[0].results[0].misses] == [
        "no such file (write it: --update)"
    ]
    written = policy.run(ctx_as(OWNER), [str(test)], update=True)
    assert written.ok and [str(n) for n in written.notes] == [f"wrote {snapshot}"]
    holders = json.loads(snapshot.read_text(encoding="utf-8"))["holders"]
    assert list(holders) == [OWNER, BOB]
    assert policy.run(ctx_as(OWNER), [str(test)]).ok
    collaborators.remove(ctx_as(OWNER), BOB, account=ACME)
    (result,) = policy.run(ctx_as(OWNER), [str(test)]).files[0].results
    assert not result.passed
    assert {(m.user, m.actual) for m in result.misses} == {(BOB, "denied (revoked)")}
    snapshot.write_text('{"holders": []}', encoding="utf-8")
    with pytest.raises(Invalid, match="not a matrix snapshot"):
        policy.run(ctx_as(OWNER), [str(test)])


@pytest.mark.engines("sqlite", "postgres")
def test_coverage_counts_the_delegable_permissions_named(
    acme_db: Target, ctx_as: As, tmp_path: Path
) -> None:
    path = str(write(tmp_path / "t.toml", CHECKS))
    report = policy.run(ctx_as(OWNER), [path], min_coverage=50)
    assert report.coverage.named == catalog().ordered(
        [SOPORTE_HAS, TECNICO_HAS, "withdrawal.withdraw"]
    )
    assert len(report.coverage.named) + len(report.coverage.uncovered) == len(catalog().delegable)
    assert report.coverage.below and not report.ok  # every case passed, still below 50%
    with pytest.raises(Invalid, match="--min-coverage is a percentage, from 0 to 100"):
        policy.run(ctx_as(OWNER), [path], min_coverage=101)


def test_a_team_file_is_judged_alone_in_a_scratch_store(tmp_path: Path, db_path: Target) -> None:
    team = write(
        tmp_path / "team.toml",
        f"""version = 1
[accounts.{ACME}]
name = "Acme"
owner = "{OWNER}"
tax_id = {{ country = "BR", number = "11.222.333/0001-81" }}
[accounts.{ACME}.profiles.soporte]
preset = "soporte"
[accounts.{ACME}.collaborators]
"{BOB}" = "soporte"
""",
    )
    path = str(write(tmp_path / "t.toml", CHECKS))
    before = dump(db_path)
    report = policy.run(Context(db=str(db_path), actor=None), [path], team=str(team))
    assert (report.passed, report.failed) == (4, 0)
    assert report.files[0].team == str(team)
    assert dump(db_path) == before  # the user's store is never the scratch one
    team.write_text(team.read_text().replace(f'"{BOB}" = "soporte"', f'"{BOB}" = "nope"'))
    with pytest.raises(Invalid) as undeclared:
        policy.run(Context(db=str(db_path), actor=None), [path], team=str(team))
    assert undeclared.value.message == (
        f'{team}, line 9: profile "nope" is not declared in accounts.{ACME}.profiles'
        " (the tests judge the file alone)"
    )
