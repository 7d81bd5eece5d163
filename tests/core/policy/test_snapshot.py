"""core/policy/snapshot.py: matrix snapshots written with --update, then held
(docs/policy-tests.md)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from support import ACME, BOB, OWNER, write

from colabctl.core import collaborators, policy
from colabctl.core.policy.snapshot import read_snapshot
from colabctl.core.session import Context
from colabctl.errors import Invalid
from colabctl.store.engine import Target

As = Callable[[str | None], Context]


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


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{", ", line 1: malformed JSON"),
        ('{"holders": {"a@example.com": {"permissions": [1]}}}', ": not a matrix snapshot"),
        ("[]", ": not a matrix snapshot"),
    ],
)
def test_a_snapshot_that_is_not_one_is_refused(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "m.json"
    path.write_text(text, encoding="utf-8")
    assert read_snapshot(tmp_path / "none.json", "none.json") is None  # not written yet
    with pytest.raises(Invalid) as caught:
        read_snapshot(path, "m.json")
    assert caught.value.message.startswith(f"m.json{says}"), caught.value.message
