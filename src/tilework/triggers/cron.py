"""Cron arithmetic for schedule triggers: validation, next firing, and the missed-firing rule.

Times are computed in the trigger's IANA time zone (so ``0 9 * * *`` stays 09:00 local across
daylight-saving changes) and stored in UTC. The rule for downtime: when the clock is past the
stored next firing, the trigger fires **once**, for the most recent firing time that has passed,
and the next firing is the first one after *now* — a server that was down for ten firings
starts one run, not ten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from tilework.errors import ValidationError


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            f"timezone: unknown time zone {name!r} (use an IANA name such as 'Europe/Paris' "
            "or 'UTC')"
        ) from None


def check_cron(expression: str) -> str:
    """The expression, normalised; 400 unless it is a standard five-field cron expression."""
    normalised = " ".join(expression.split())
    if len(normalised.split(" ")) != 5 or not croniter.is_valid(normalised):
        raise ValidationError(
            f"cron: {expression!r} is not a valid cron expression (five fields: minute hour "
            "day-of-month month day-of-week, e.g. '0 9 * * 1-5')"
        )
    return normalised


def next_fire_after(expression: str, timezone: str, after: datetime) -> datetime:
    """The first firing strictly after ``after`` (aware), in UTC."""
    local = after.astimezone(zone(timezone))
    upcoming: datetime = croniter(expression, local).get_next(datetime)
    return upcoming.astimezone(UTC)


def last_fire_at_or_before(expression: str, timezone: str, moment: datetime) -> datetime:
    """The latest firing at or before ``moment`` (aware), in UTC."""
    local = moment.astimezone(zone(timezone))
    if local.second == 0 and local.microsecond == 0 and croniter.match(expression, local):
        return local.astimezone(UTC)  # get_prev() is strictly before its start
    previous: datetime = croniter(expression, local).get_prev(datetime)
    return previous.astimezone(UTC)


@dataclass(frozen=True)
class Firing:
    scheduled_at: datetime  # the firing time this run stands for (UTC)
    next_fire_at: datetime  # the next firing to wait for (UTC)


def due_firing(
    expression: str, timezone: str, next_fire_at: datetime, now: datetime
) -> Firing | None:
    """The firing to start at ``now``, if ``next_fire_at`` has come; missed ones collapse to one."""
    if now < next_fire_at:
        return None
    scheduled = max(next_fire_at, last_fire_at_or_before(expression, timezone, now))
    return Firing(scheduled, next_fire_after(expression, timezone, now))
