"""Time-boxed access in core: parsing WHEN (core/clock.py), and the in-transaction forms
that other commands (team-as-code's apply) build on: `invite_in(..., access_until=)`
and `set_access_until_in(s, acct, email, until)`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from support import ACME, BEA, OWNER, START, FakeClock, acme_store, ctx_for, dump

from colabctl.core import access, collaborators
from colabctl.core.clock import check_until, end_of_day, iso, parse_until
from colabctl.core.session import writing
from colabctl.errors import Conflict, Invalid

pytestmark = pytest.mark.engines("sqlite", "postgres")

# -- WHEN ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-03-31", datetime(2027, 3, 31, 23, 59, 59, tzinfo=UTC)),
        (" 2027-03-31 ", datetime(2027, 3, 31, 23, 59, 59, tzinfo=UTC)),
        ("2027-03-31T10:00:00Z", datetime(2027, 3, 31, 10, tzinfo=UTC)),
        ("2027-03-31T10:00", datetime(2027, 3, 31, 10, tzinfo=UTC)),
        ("2027-03-31T10:00:00+02:00", datetime(2027, 3, 31, 8, tzinfo=UTC)),
        ("30d", START + timedelta(days=30)),
        ("12h", START + timedelta(hours=12)),
        ("15m", START + timedelta(minutes=15)),
        ("90s", START + timedelta(seconds=90)),
        ("3650d", START + timedelta(days=3650)),
        ("never", None),
        ("NEVER", None),
    ],
)
def test_parse_until(text: str, expected: datetime | None) -> None:
    assert parse_until(text, START) == expected


@pytest.mark.parametrize("text", ["", "soon", "2027-13-01", "2027-02-30", "3651d", "5w", "-1d"])
def test_parse_until_refuses(text: str) -> None:
    with pytest.raises(Invalid):
        parse_until(text, START)


def test_end_of_day_is_the_stored_form() -> None:
    assert iso(end_of_day(date(2027, 3, 31))) == "2027-03-31T23:59:59Z"


def test_check_until_refuses_now_and_before() -> None:
    now = iso(START)
    assert check_until(START + timedelta(seconds=1), now, BEA) == "2026-11-02T09:00:01Z"
    for moment in (START, START - timedelta(days=1)):
        with pytest.raises(Invalid) as refused:
            check_until(moment, now, BEA)
        assert refused.value.hint is not None and "collaborator remove" in refused.value.hint


# -- the in-transaction forms ----------------------------------------------------------


@pytest.fixture
def acme(db_path: Path, clock: FakeClock) -> str:
    acme_store(db_path, clock, with_bob=False)
    return ACME


def test_invite_in_and_set_access_until_in(db_path: Path, clock: FakeClock, acme: str) -> None:
    ctx = ctx_for(db_path, OWNER, clock)
    until = end_of_day(date(2026, 11, 30))
    with writing(ctx) as s:
        acct = s.get_account(acme)
        made = collaborators.invite_in(s, acct, BEA, "soporte", access_until=until)
        assert made.membership.access_until == "2026-11-30T23:59:59Z"
    collaborators.accept(ctx_for(db_path, BEA, clock), acme)
    with writing(ctx) as s:
        acct = s.get_account(acme)
        same = collaborators.set_access_until_in(s, acct, BEA, until)
        assert not same.changed
        later = collaborators.set_access_until_in(s, acct, BEA, until + timedelta(days=1))
        assert later.changed and later.membership.access_until == "2026-12-01T23:59:59Z"
        never = collaborators.set_access_until_in(s, acct, BEA, None)
        assert never.membership.access_until is None
    clock.advance(days=400)
    with writing(ctx) as s:
        assert access.standing_of(s, acme, BEA).status == "active"  # never ends
        collaborators.set_access_until_in(s, s.get_account(acme), BEA, START + timedelta(days=401))
    clock.advance(days=2)
    with writing(ctx) as s:
        st = access.standing_of(s, acme, BEA)
        assert (st.status, st.granted) == ("ended", frozenset())


def test_refusals_inside_a_transaction_leave_nothing(
    db_path: Path, clock: FakeClock, acme: str
) -> None:
    ctx = ctx_for(db_path, OWNER, clock)
    collaborators.invite(ctx, BEA, profile="soporte", account=acme)
    before = dump(db_path)
    with pytest.raises(Invalid), writing(ctx) as s:
        collaborators.set_access_until_in(s, s.get_account(acme), BEA, START)
    with pytest.raises(Conflict), writing(ctx) as s:
        collaborators.set_access_until_in(s, s.get_account(acme), OWNER, None)
    with pytest.raises(Invalid), writing(ctx) as s:
        collaborators.invite_in(
            s, s.get_account(acme), "caio@example.com", "soporte", access_until=START
        )
    assert dump(db_path) == before
