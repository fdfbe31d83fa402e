"""Calendar arithmetic for allowances and billing periods, anchored at the last plan change.

Allowances are monthly for every plan (``credits_per_month``); the billing period is a month for
monthly plans and a year for annual ones. Months are calendar months from the anchor, the day
clamped to the month's length (an anchor on Jan 31 renews on Feb 28/29, then Mar 31).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime


def add_months(anchor: datetime, months: int) -> datetime:
    month_index = anchor.month - 1 + months
    year, month = anchor.year + month_index // 12, month_index % 12 + 1
    day = min(anchor.day, calendar.monthrange(year, month)[1])
    return anchor.replace(year=year, month=month, day=day)


def period_at(anchor: datetime, now: datetime, months: int) -> Period:
    """The ``months``-long period starting at ``anchor`` + k·months that contains ``now``."""
    if now < anchor:
        return Period(anchor, add_months(anchor, months))
    # Jump close by arithmetic, then step (clamping makes the exact count off by one at most).
    elapsed = (now.year - anchor.year) * 12 + (now.month - anchor.month)
    k = max(0, elapsed // months - 1)
    while add_months(anchor, (k + 1) * months) <= now:
        k += 1
    return Period(add_months(anchor, k * months), add_months(anchor, (k + 1) * months))


def allowance_period(anchor: datetime, now: datetime) -> Period:
    return period_at(anchor, now, 1)


def billing_period(anchor: datetime, now: datetime, billing: str) -> Period:
    return period_at(anchor, now, 12 if billing == "annual" else 1)
