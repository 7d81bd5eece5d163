"""core/stores.py: `store info` (what and where the store is, never created) and `store
copy` (all of a store into an empty one, any engine to any engine, verified before it
commits, or nothing at all)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import GENESIS, FakeClock, drop_guards, dump, raw

from colabctl.core import stores
from colabctl.core.session import Context
from colabctl.errors import Conflict, NotFound, StoreFault
from colabctl.store.engine import Target

pytestmark = pytest.mark.engines("sqlite", "postgres")


def test_info_says_what_the_store_holds(acme_db: Target, clock: FakeClock) -> None:
    found = stores.info(Context(db=str(acme_db), clock=clock))
    assert found.engine == ("sqlite" if isinstance(acme_db, Path) else "postgresql")
    assert (found.counts["accounts"], found.counts["profiles"], found.counts["memberships"]) == (
        1,
        2,
        1,
    )
    assert found.head[0] == found.counts["audit"] and found.head[1] != GENESIS
    assert found.as_json()["head"] == {"seq": found.head[0], "hash": found.head[1]}


@pytest.mark.engines("sqlite")
def test_info_of_no_store_creates_none(tmp_path: Path) -> None:
    missing = tmp_path / "none.db"
    with pytest.raises(NotFound) as caught:
        stores.info(Context(db=str(missing)))
    assert caught.value.message == f"no store at {missing}"
    assert not missing.exists()


def test_a_copy_is_the_whole_store_verified(acme_db: Target, tmp_path: Path) -> None:
    dst = tmp_path / "copy.db"
    seen: list[tuple[str, int, int]] = []
    copied = stores.copy(acme_db, dst, progress=lambda *step: seen.append(step))
    source = stores.info(Context(db=str(acme_db)))
    assert copied.destination.counts == source.counts
    assert copied.destination.head == source.head == stores.info(Context(db=str(dst))).head
    assert copied.rows == sum(source.counts.values())
    assert seen[0][1] == 0 and seen[-1][1:] == (copied.rows, copied.rows)


@pytest.mark.engines("sqlite")
def test_a_copy_is_refused_before_anything_is_written(acme_db: Path, tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        stores.copy(tmp_path / "none.db", tmp_path / "dst.db")
    with pytest.raises(Conflict, match="SRC and DST are the same store"):
        stores.copy(acme_db, acme_db)
    full = tmp_path / "full.db"
    stores.copy(acme_db, full)
    before = dump(full)
    with pytest.raises(Conflict) as nonempty:
        stores.copy(acme_db, full)
    assert nonempty.value.message.startswith(f"DST {full} is not empty (it holds ")
    assert dump(full) == before


@pytest.mark.engines("sqlite")
def test_a_broken_chain_is_not_copied(acme_db: Path, tmp_path: Path) -> None:
    drop_guards(acme_db, "audit_no_update")
    raw(acme_db, "UPDATE audit SET target = 'someone-else' WHERE seq = 2")
    with pytest.raises(StoreFault) as caught:
        stores.copy(acme_db, tmp_path / "dst.db")
    assert caught.value.message.startswith(f"the audit chain of {acme_db} is broken at seq 2")
    assert not (tmp_path / "dst.db").exists() or dump(tmp_path / "dst.db") == []


def test_src_and_dst_name_a_file_or_a_server() -> None:
    assert stores.target_of("store.db") == Path("store.db")
    assert stores.target_of("postgresql://h/db") == "postgresql://h/db"
