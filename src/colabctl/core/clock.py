"""Time: an injectable clock, one timestamp format, and `--expires-in` durations."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from colabctl.errors import Invalid

Clock = Callable[[], datetime]

MIN_EXPIRY = timedelta(seconds=1)
MAX_EXPIRY = timedelta(days=90)
DEFAULT_EXPIRY = timedelta(days=7)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def system_clock() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """The one stored form: UTC, second precision, sortable as text."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_since(text: str) -> str:
    """An ISO date or date-time from the user, as a stored timestamp to compare with."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        from colabctl.core.names import quoted

        raise Invalid(
            f"{quoted(text)} is not an ISO date", hint="e.g. 2026-11-01 or 2026-11-01T09:30"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return iso(moment)


def parse_duration(text: str) -> timedelta:
    """`90s`, `15m`, `48h`, `7d`: at least 1 second, at most 90 days."""
    match = re.fullmatch(r"\s*(\d{1,9})\s*([smhd])\s*", text, re.ASCII)
    from colabctl.core.names import quoted  # clock stays light: `can` imports it

    if not match:
        raise Invalid(
            f"{quoted(text)} is not a duration",
            hint="use a number and a unit s, m, h or d, e.g. 90s, 48h, 7d",
        )
    amount, unit = int(match[1]), match[2]
    duration = timedelta(**{_UNITS[unit]: amount})
    if not MIN_EXPIRY <= duration <= MAX_EXPIRY:
        raise Invalid(f"{quoted(text)} is out of range", hint="expiry is from 1s to 90d")
    return duration
