"""core/audit.py: `audit log` (an account's rows for its owner and active collaborators,
newest first, filtered, in words; a collaborator reads no tax data and no review
acknowledgement), `audit head` and `audit verify` with an anchor kept elsewhere."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from support import ACME, BEA, BOB, CNPJ, GENESIS, OWNER, ZED, FakeClock

from colabctl.core import collaborators, users
from colabctl.core.audit import parse_anchor, read_head, read_log, verify_store
from colabctl.core.session import Context
from colabctl.errors import Invalid, NotFound
from colabctl.store.engine import Target

pytestmark = pytest.mark.engines("sqlite", "postgres")

As = Callable[[str | None], Context]


def test_the_log_is_newest_first_in_words(acme_db: Target, ctx_as: As) -> None:
    collaborators.invite(ctx_as(OWNER), BEA, profile="tecnico", account=ACME)
    newest, *rest = read_log(ctx_as(OWNER), account=ACME)
    assert (newest.entry.action, newest.entry.target, newest.entry.actor) == (
        "invitation.create",
        BEA,
        OWNER,
    )
    assert newest.change.startswith(f"{BEA} invited as tecnico, expires ")
    seqs = [newest.entry.seq, *(r.entry.seq for r in rest)]
    assert seqs == sorted(seqs, reverse=True)
    assert rest[-1].entry.action == "account.create"  # the account's first row
    assert newest.as_json()["change"] == newest.change


def test_filters_narrow_together_and_actions_widen(
    acme_db: Target, ctx_as: As, clock: FakeClock
) -> None:
    clock.advance(days=1)
    collaborators.invite(ctx_as(OWNER), BEA, profile="tecnico", account=ACME)
    collaborators.accept(ctx_as(BEA), ACME)

    def actions(**filters: object) -> list[str]:
        return [r.entry.action for r in read_log(ctx_as(OWNER), account=ACME, **filters)]  # type: ignore[arg-type]

    assert actions(since="12h") == ["invitation.accept", "invitation.create"]
    assert actions(since="12h", actor=BEA.upper()) == ["invitation.accept"]
    assert actions(actions=["Invitation"], limit=2) == ["invitation.accept", "invitation.create"]
    assert actions(actions=["profile.", "account."], until="2026-11-02")[-1] == "account.create"
    assert actions(target="BOB.COSTA@example.com") == ["invitation.accept", "invitation.create"]
    with pytest.raises(Invalid, match="--limit must be at least 1"):
        read_log(ctx_as(OWNER), account=ACME, limit=0)


def test_a_collaborator_reads_no_tax_data(acme_db: Target, ctx_as: As) -> None:
    (created,) = [
        r for r in read_log(ctx_as(BOB), account=ACME) if r.entry.action == "account.create"
    ]
    assert (created.entry.details["tax_id"], created.entry.details["country"]) == (None, None)
    assert created.change == f'{ACME} created as "Acme Cursos", a tax ID'
    (mine,) = [
        r for r in read_log(ctx_as(OWNER), account=ACME) if r.entry.action == "account.create"
    ]
    assert mine.entry.details["tax_id"] == CNPJ.translate(str.maketrans("", "", "./-"))


def test_an_outsider_reads_no_log(acme_db: Target, ctx_as: As) -> None:
    users.register(ctx_as(None), ZED)
    with pytest.raises(NotFound) as caught:
        read_log(ctx_as(ZED), account=ACME)
    assert caught.value.message == f'no account "{ACME}"'


def test_an_anchor_is_seq_and_hash() -> None:
    assert parse_anchor(f" 12:{'AB' * 32} ") == (12, "ab" * 32)
    assert parse_anchor(f"0:{GENESIS}") == (0, GENESIS)
    for bad in ("12", f"x:{'a' * 64}", f"1:{'a' * 63}", f"0:{'a' * 64}", f"1:{'g' * 64}"):
        with pytest.raises(Invalid) as caught:
            parse_anchor(bad)
        assert caught.value.message.startswith(f'bad anchor "{bad[:40]}')
        assert caught.value.message.endswith(
            ": expected SEQ:HASH, a row number and its 64-hex-digit hash"
        )
        assert caught.value.hint == "`colabctl audit head` prints one"


def test_the_head_anchors_a_verification(acme_db: Target, ctx_as: As) -> None:
    seq, digest = read_head(ctx_as(None))
    assert seq > 0 and len(digest) == 64
    kept = f"{seq}:{digest}"
    collaborators.invite(ctx_as(OWNER), BEA, profile="tecnico", account=ACME)
    verdict = verify_store(ctx_as(OWNER), anchor=kept)
    assert (verdict.intact, verdict.rows, verdict.breaks) == (True, seq + 1, ())
    forged = verify_store(ctx_as(OWNER), anchor=f"{seq}:{'0' * 63}1")
    assert (forged.intact, forged.first_bad_seq) == (False, seq)


def test_the_head_of_no_store_is_genesis(tmp_path: Path, clock: FakeClock) -> None:
    missing = tmp_path / "none.db"
    assert read_head(Context(db=str(missing), clock=clock)) == (0, GENESIS)
    assert not missing.exists()
