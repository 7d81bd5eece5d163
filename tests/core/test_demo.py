"""core/demo.py: `colabctl demo` builds a sample store through the same core functions as
every command, with sample policy tests beside it, in a file of its own; it replaces
only what an earlier demo built, and never a store on a server.

Engines: SQLite only: the demo is always a SQLite file (a URL is refused)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import BRUNO, START, FakeClock

from colabctl.core import demo, policy
from colabctl.core.access import standing_of
from colabctl.core.ownership import open_offer
from colabctl.core.session import Context, reading
from colabctl.errors import Conflict, Invalid
from colabctl.store.db import first_audit_action


def test_the_demo_is_two_accounts_a_team_and_an_open_offer(demo_template: Path) -> None:
    assert first_audit_action(demo_template) == (False, demo.MARK)
    with reading(Context(db=str(demo_template), actor=demo.OWNER, clock=FakeClock(START))) as s:
        acme = s.get_account("acme-cursos")
        statuses = {email: standing_of(s, acme, email).status for email, _ in demo.TEAM.values()}
        beta = s.account_by_slug("beta-digital")
        assert beta is not None
        offer = open_offer(s, beta)
    assert statuses == {
        BRUNO: "active",
        "carla.mendes@example.com": "active",
        "diego.rocha@example.com": "active",
        "elena.prado@example.com": "pending",  # one invitation left open
    }
    assert (beta.owner_email, acme.legal_entity, beta.legal_entity) == (
        demo.SECOND_OWNER,
        True,
        True,
    )
    assert offer is not None and offer.to == demo.SHARED


def test_its_policy_tests_pass_against_it(demo_template: Path, tmp_path: Path) -> None:
    store = shutil.copyfile(demo_template, tmp_path / "demo.db")
    folder = shutil.copytree(demo_template.parent / demo.POLICY_FOLDER, tmp_path / "policy")
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [*demo.POLICY_FILES, "acme.matrix.json"]
    )
    report = policy.run(
        Context(db=str(store), actor=demo.OWNER, clock=FakeClock(START)), [str(folder)]
    )
    assert (report.ok, report.failed) == (True, 0) and report.passed > 0


def test_a_demo_replaces_only_an_earlier_demo(tmp_path: Path) -> None:
    path = tmp_path / "colabctl-demo.db"
    first = demo.build(path, clock=FakeClock(START))
    (first.policy / "acme.toml").write_text("# changed\n", encoding="utf-8")
    again = demo.build(path, clock=FakeClock(START))
    assert again.path == path
    assert (again.policy / "acme.toml").read_text(encoding="utf-8") == demo.POLICY_FILES[
        "acme.toml"
    ]


@pytest.mark.parametrize("what", ["file", "policy folder"])
def test_anything_else_is_left_untouched(tmp_path: Path, what: str) -> None:
    path = tmp_path / "colabctl-demo.db"
    mine = path if what == "file" else tmp_path / demo.POLICY_FOLDER / "notes.txt"
    mine.parent.mkdir(exist_ok=True)
    mine.write_text("my own notes\n", encoding="utf-8")
    there = sorted(tmp_path.rglob("*"))
    with pytest.raises(Conflict) as caught:
        demo.build(path, clock=FakeClock(START))
    assert "was left untouched" in caught.value.message
    assert mine.read_text(encoding="utf-8") == "my own notes\n"
    assert sorted(tmp_path.rglob("*")) == there  # nothing made, nothing removed


def test_a_server_is_never_a_demo() -> None:
    with pytest.raises(Invalid) as caught:
        demo.build("postgresql://localhost/colabctl")
    assert caught.value.message == "demo builds a SQLite file, never a store on a server"
