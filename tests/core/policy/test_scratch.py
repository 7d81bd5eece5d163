"""core/policy/scratch.py: a team file judged alone, in a scratch store built from it
(docs/policy-tests.md, --team); the user's store never touched."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from support import ACME, BOB, OWNER, POLICY_TEAM, dump, write
from support import POLICY_CHECKS as CHECKS

from colabctl.core import policy
from colabctl.core.policy.scratch import scratch_store
from colabctl.core.session import Context
from colabctl.errors import Invalid
from colabctl.store.engine import Target

As = Callable[[str | None], Context]


def test_a_team_file_is_judged_alone_in_a_scratch_store(tmp_path: Path, db_path: Target) -> None:
    team = write(
        tmp_path / "team.toml",
        POLICY_TEAM,
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


def test_the_scratch_store_is_gone_once_the_block_ends(tmp_path: Path, db_path: Target) -> None:
    team = write(
        tmp_path / "team.toml",
        POLICY_TEAM,
    )
    with scratch_store(Context(db=str(db_path), actor=OWNER), team) as s:
        folder = Path(str(s.ctx.db)).parent
        assert s.account_by_slug(ACME) is not None
        assert s.user_by_email(BOB) is not None
    assert not folder.exists()
