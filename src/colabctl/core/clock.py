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
    from colabctl.core.names import quoted

    value = text.strip()
    match = re.fullmatch(_DURATION, value, re.ASCII)
    if match:
        back = timedelta(**{_UNITS[match[2]]: int(match[1])})
        if back > MAX_ACCESS:
            raise Invalid(
                _("%(value)s is too far back") % {"value": quoted(text)},
                hint=_("at most 3650d (ten years)"),
            )
        return iso(now - back)
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value, re.ASCII):
            day = date.fromisoformat(value)
            return iso(end_of_day(day) if until else datetime.combine(day, time(), tzinfo=UTC))
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return iso(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    except (ValueError, OverflowError) as exc:  # overflow: year 1 at +14:00, in UTC
        raise Invalid(
            _("%(value)s is not a date, a date-time or a duration") % {"value": quoted(text)},
            hint=_("e.g. %(example)s") % {"example": "2026-11-01, 2026-11-01T09:30:00Z, 7d"},
        ) from exc


_DURATION = r"\s*(\d{1,9})\s*([smhd])\s*"
# A time-boxed grant may run longer than an invitation stays open; ten years bounds it
# so that a huge number is an input error, not an overflow.
MAX_ACCESS = timedelta(days=3650)


def parse_duration(text: str) -> timedelta:
    """`90s`, `15m`, `48h`, `7d`: at least 1 second, at most 90 days."""
    match = re.fullmatch(_DURATION, text, re.ASCII)
    from colabctl.core.names import quoted  # clock stays light: `can` imports it

    if not match:
        raise Invalid(
            _("%(value)s is not a duration") % {"value": quoted(text)},
            hint=_("use a number and a unit s, m, h or d, e.g. 90s, 48h, 7d"),
        )
    amount, unit = int(match[1]), match[2]
    duration = timedelta(**{_UNITS[unit]: amount})
    if not MIN_EXPIRY <= duration <= MAX_EXPIRY:
        raise Invalid(
            _("%(value)s is out of range") % {"value": quoted(text)},
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
    from colabctl.core.names import quoted

    value = text.strip()
    if value.lower() == "never":
        return None
    match = re.fullmatch(_DURATION, value, re.ASCII)
    if match:
        duration = timedelta(**{_UNITS[match[2]]: int(match[1])})
        if duration > MAX_ACCESS:
            raise Invalid(
                _("%(value)s is too far away") % {"value": quoted(text)},
                hint=_("at most 3650d (ten years)"),
            )
        return now + duration
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value, re.ASCII):
            return end_of_day(date.fromisoformat(value))
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise Invalid(
            _("%(value)s is not a date, a date-time, a duration or `never`")
            % {"value": quoted(text)},
            hint=_("e.g. %(example)s")
            % {"example": "2027-03-31, 2027-03-31T18:00:00Z, 30d, never"},
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


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
