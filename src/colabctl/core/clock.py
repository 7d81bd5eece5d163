"""Time: an injectable clock, one timestamp format, `--expires-in` durations, and the
WHEN of time-boxed access (`--access-until`, `collaborator set-access-until`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from colabctl.errors import Invalid
from colabctl.i18n import _

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


def parse_moment(text: str, now: datetime, *, until: bool = False) -> str:
    """A moment a history is cut at (`audit log --since/--until`, `report --since`), as a
    stored timestamp to compare with: an ISO date (its start; with UNTIL, its end,
    23:59:59Z, so that `--until` a day includes that day), an ISO date-time (UTC unless it
    says otherwise), or a duration back from NOW in the units of --expires-in (`7d`)."""
    try:
        when = _when(text, _("%(value)s is too far back"))
    except ValueError as exc:
        raise Invalid(
            _("%(value)s is not a date, a date-time or a duration") % {"value": _quoted(text)},
            hint=_("e.g. %(example)s") % {"example": "2026-11-01, 2026-11-01T09:30:00Z, 7d"},
        ) from exc
    if isinstance(when, timedelta):
        return iso(now - when)
    if isinstance(when, datetime):
        return iso(when)
    return iso(end_of_day(when) if until else datetime.combine(when, time(), tzinfo=UTC))


def _when(text: str, too_far: str) -> timedelta | datetime | date:
    """TEXT as one of the forms both kinds of WHEN take (parse_moment's, parse_until's): a
    duration in the units of --expires-in, at most ten years (longer: Invalid, TOO_FAR
    saying so of %(value)s); an ISO date; or an ISO date-time, in UTC (UTC unless it says
    otherwise). ValueError when it is none of them, or a moment UTC cannot hold."""
    value = text.strip()
    match = re.fullmatch(_DURATION, value, re.ASCII)
    if match:
        duration = timedelta(**{_UNITS[match[2]]: int(match[1])})
        if duration > MAX_ACCESS:
            raise Invalid(too_far % {"value": _quoted(text)}, hint=_("at most 3650d (ten years)"))
        return duration
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value, re.ASCII):
        return date.fromisoformat(value)
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    try:
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError as exc:  # year 1 at +14:00, or 9999-12-31 at -10:00, in UTC
        raise ValueError(str(exc)) from exc


def _quoted(text: str) -> str:
    from colabctl.core.names import quoted  # clock stays light: `can` imports it

    return quoted(text)


_DURATION = r"\s*(\d{1,9})\s*([smhd])\s*"
# A time-boxed grant may run longer than an invitation stays open; ten years bounds it
# so that a huge number is an input error, not an overflow.
MAX_ACCESS = timedelta(days=3650)


def parse_duration(text: str) -> timedelta:
    """`90s`, `15m`, `48h`, `7d`: at least 1 second, at most 90 days."""
    match = re.fullmatch(_DURATION, text, re.ASCII)
    if not match:
        raise Invalid(
            _("%(value)s is not a duration") % {"value": _quoted(text)},
            hint=_("use a number and a unit s, m, h or d, e.g. 90s, 48h, 7d"),
        )
    amount, unit = int(match[1]), match[2]
    duration = timedelta(**{_UNITS[unit]: amount})
    if not MIN_EXPIRY <= duration <= MAX_EXPIRY:
        raise Invalid(
            _("%(value)s is out of range") % {"value": _quoted(text)},
            hint=_("expiry is from 1s to 90d"),
        )
    return duration


def end_of_day(day: date) -> datetime:
    """Access "until a date" lasts through that whole day, UTC: its 23:59:59Z."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


def parse_until(text: str, now: datetime) -> datetime | None:
    """WHEN of time-boxed access (docs/ownership.md, "Temporary access"): `never` (None),
    an ISO date (the end of that day, UTC), an ISO date-time (UTC unless it says
    otherwise), or a duration from NOW in the units of --expires-in (`30d`, `12h`).
    Whether it is still in the future is judged by the caller, against its session's
    clock (`check_until`)."""
    if text.strip().lower() == "never":
        return None
    try:
        when = _when(text, _("%(value)s is too far away"))
    except ValueError as exc:
        raise Invalid(
            _("%(value)s is not a date, a date-time, a duration or `never`")
            % {"value": _quoted(text)},
            hint=_("e.g. %(example)s")
            % {"example": "2027-03-31, 2027-03-31T18:00:00Z, 30d, never"},
        ) from exc
    if isinstance(when, timedelta):
        return now + when
    if isinstance(when, datetime):
        return when
    return end_of_day(when)


def check_until(until: datetime, now_iso: str, email: str) -> str:
    """UNTIL as stored, if it is still to come; at or before now it is refused (exit 6):
    ending access now is what `collaborator remove` is for."""
    stored = iso(until)
    if stored <= now_iso:
        names = {"until": stored, "now": now_iso, "email": email}
        raise Invalid(
            _("%(until)s is not in the future (now is %(now)s)") % names,
            hint=_("to end the access of %(email)s now: `colabctl collaborator remove %(email)s`")
            % names,
        )
    return stored
