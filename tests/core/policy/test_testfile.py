"""core/policy/testfile.py: a test file's cases (`[[check]]`'s allows and denies,
`[[only]]`, `[[matrix]]`) read with their lines, every fault naming the file and line
(docs/policy-tests.md)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from support import POLICY_CHECKS as CHECKS
from support import SOPORTE_HAS, TECNICO_HAS, write

from colabctl.core.policy.testfile import collect
from colabctl.core.session import Context
from colabctl.errors import Invalid

As = Callable[[str | None], Context]


def refusal(path: Path) -> Invalid:
    with pytest.raises(Invalid) as caught:
        collect([str(path)])
    return caught.value


def test_each_allow_deny_and_only_is_a_case_at_its_line(tmp_path: Path) -> None:
    (found,), notes = collect([str(write(tmp_path / "t.toml", CHECKS))])
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
    files, notes = collect([str(tmp_path)])
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
