"""core/clock.py: the one stored form of a moment (`iso`), `--expires-in` durations,
the WHEN of time-boxed access (`parse_until`, `check_until`) and the moments a history is
cut at (`parse_moment`: `audit log --since/--until`, `report --since`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from support import BEA, START

from colabctl.core.clock import (
    DEFAULT_EXPIRY,
    check_until,
    end_of_day,
    iso,
    parse_duration,
    parse_moment,
    parse_until,
    system_clock,
)
from colabctl.errors import Invalid

NOW = datetime(2026, 11, 29, 14, 18, 32, tzinfo=UTC)

# -- the stored form ------------------------------------------------------------------------


def test_iso_is_utc_to_the_second_and_sorts_as_text() -> None:
    brasilia = timezone(timedelta(hours=-3))
    assert iso(datetime(2026, 11, 2, 6, 0, 0, 999_999, tzinfo=brasilia)) == "2026-11-02T09:00:00Z"
    earlier, later = iso(START), iso(START + timedelta(seconds=1))
    assert earlier < later


def test_the_system_clock_is_aware_and_utc() -> None:
    assert system_clock().utcoffset() == timedelta(0)


# -- --expires-in ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "duration"),
    [
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        (" 48h ", timedelta(hours=48)),
        ("7d", DEFAULT_EXPIRY),
        ("1s", timedelta(seconds=1)),
        ("90d", timedelta(days=90)),
    ],
)
def test_durations(text: str, duration: timedelta) -> None:
    assert parse_duration(text) == duration


@pytest.mark.parametrize("text", ["", "7", "d", "7w", "-1d", "1.5h", "7 days", "７d"])
def test_a_malformed_duration_says_how_to_write_one(text: str) -> None:
    with pytest.raises(Invalid) as caught:
        parse_duration(text)
    assert caught.value.message.endswith("is not a duration")
    assert caught.value.hint == "use a number and a unit s, m, h or d, e.g. 90s, 48h, 7d"


@pytest.mark.parametrize("text", ["0s", "91d", "2161h"])
def test_a_duration_out_of_range_is_refused(text: str) -> None:
    with pytest.raises(Invalid) as caught:
        parse_duration(text)
    assert caught.value.message == f'"{text}" is out of range'
    assert caught.value.hint == "expiry is from 1s to 90d"


# -- WHEN of time-boxed access ----------------------------------------------------------------


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


def test_parse_until_says_what_it_takes() -> None:
    with pytest.raises(Invalid) as caught:
        parse_until("soon", START)
    assert caught.value.message == '"soon" is not a date, a date-time, a duration or `never`'
    assert caught.value.hint == "e.g. 2027-03-31, 2027-03-31T18:00:00Z, 30d, never"
    with pytest.raises(Invalid) as far:
        parse_until("3651d", START)
    assert (far.value.message, far.value.hint) == (
        '"3651d" is too far away',
        "at most 3650d (ten years)",
    )


def test_end_of_day_is_the_stored_form() -> None:
    assert iso(end_of_day(date(2027, 3, 31))) == "2027-03-31T23:59:59Z"


def test_check_until_refuses_now_and_before() -> None:
    now = iso(START)
    assert check_until(START + timedelta(seconds=1), now, BEA) == "2026-11-02T09:00:01Z"
    for moment in (START, START - timedelta(days=1)):
        with pytest.raises(Invalid) as refused:
            check_until(moment, now, BEA)
        assert refused.value.hint is not None and "collaborator remove" in refused.value.hint


# -- where a history is cut --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "moment"),
    [
        ("7d", "2026-11-22T14:18:32Z"),
        ("90s", "2026-11-29T14:17:02Z"),
        ("2026-11-01", "2026-11-01T00:00:00Z"),
        ("2026-11-01T09:30", "2026-11-01T09:30:00Z"),
        ("2026-11-01T09:30:00-03:00", "2026-11-01T12:30:00Z"),
        ("2030-01-01", "2030-01-01T00:00:00Z"),  # to come: a report with no changes
    ],
)
def test_since_when(when: str, moment: str) -> None:
    assert parse_moment(when, NOW) == moment


def test_until_a_day_includes_that_day() -> None:
    assert parse_moment("2026-11-01", NOW, until=True) == "2026-11-01T23:59:59Z"
    assert parse_moment("2026-11-01T09:30", NOW, until=True) == "2026-11-01T09:30:00Z"


@pytest.mark.parametrize(
    "when", ["", "soon", "7 days", "3651d", "2026-02-30", "-7d", "0001-01-01T00:00:00+14:00"]
)
def test_a_bad_since_is_invalid(when: str) -> None:
    with pytest.raises(Invalid):
        parse_moment(when, NOW)


def test_a_bad_since_says_what_it_takes() -> None:
    with pytest.raises(Invalid) as caught:
        parse_moment("soon", NOW)
    assert caught.value.message == '"soon" is not a date, a date-time or a duration'
    with pytest.raises(Invalid) as far:
        parse_moment("3651d", NOW)
    assert far.value.message == '"3651d" is too far back'
