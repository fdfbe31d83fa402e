"""Read models of plans and credits: the JSON shapes of api.md's "Plans and credits"."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tilework.billing import accounts, ledger
from tilework.billing.periods import allowance_period, billing_period
from tilework.billing.service import Billing
from tilework.db.tables import BillingAccount, CreditLedgerEntry
from tilework.errors import ValidationError

MAX_USAGE_EVENTS = 10_000
DEFAULT_USAGE_EVENTS = 5_000
USAGE_KINDS = (ledger.CHARGE, ledger.REFUND)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def plan_view(billing: Billing, session: Session, org_id: str) -> dict[str, Any]:
    """``GET /plan``. ``usage`` and ``included_usage`` cover the current monthly allowance
    period (annual plans too: their credits come monthly)."""
    account = billing.account(session, org_id)
    plan = accounts.plan_of(billing.catalogue, account)
    now = billing.clock()
    cycle = billing_period(account.plan_started_at, now, plan.billing)
    month = allowance_period(account.plan_started_at, now)
    return {
        "organization_id": org_id,
        "plan": {
            "id": plan.id,
            "family": plan.family,
            "status": "canceled" if account.canceled_at else "active",
            "started_at": _iso(account.plan_started_at),
            "current_period_start": _iso(cycle.start),
            "current_period_end": _iso(cycle.end),
            "canceled_at": _iso(account.canceled_at),
        },
        "scheduled_plan": None,  # plan changes apply at once (or when checkout completes)
        "credits": {
            "balance": ledger.balance(session, org_id),
            "usage": _usage_between(session, org_id, month.start, month.end),
            "included_usage": plan.credits_per_month,
            "unlimited": False,
        },
    }


def plan_list(billing: Billing) -> dict[str, Any]:
    return {"plans": billing.catalogue.listing()}


def credits_view(billing: Billing, session: Session, org_id: str) -> dict[str, Any]:
    """``GET /credits``; ``plan`` is the paid family or null (Mosaic's shape), ``reserved``
    [ext] the credits held by running tasks."""
    account = billing.account(session, org_id)
    plan = accounts.plan_of(billing.catalogue, account)
    cycle = billing_period(account.plan_started_at, billing.clock(), plan.billing)
    return {
        "organization_id": org_id,
        "balance": ledger.balance(session, org_id),
        "reserved": ledger.reserved(session, org_id),
        "plan": plan.family if plan.paid else None,
        "plan_id": plan.id,
        "billing_cycle": {
            "current_period_start": _iso(cycle.start),
            "current_period_end": _iso(cycle.end),
        },
        "auto_topup": _auto_topup(account, plan.topup_eligible),
    }


def _auto_topup(account: BillingAccount, eligible: bool) -> dict[str, Any]:
    if not eligible:  # as Mosaic: an ineligible plan reads as switched off
        return {"eligible": False, "enabled": False, "threshold": 0, "quantity": 0}
    return {
        "eligible": True,
        "enabled": account.auto_topup_enabled,
        "threshold": account.auto_topup_threshold,
        "quantity": account.auto_topup_quantity,
    }


def _usage_between(session: Session, org_id: str, start: datetime, end: datetime) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(CreditLedgerEntry.amount), 0)).where(
            CreditLedgerEntry.organization_id == org_id,
            CreditLedgerEntry.kind.in_(USAGE_KINDS),
            CreditLedgerEntry.created_at >= start,
            CreditLedgerEntry.created_at < end,
        )
    )
    return -int(total or 0)


def parse_bound(raw: str | None, name: str, *, end_of_day: bool) -> datetime | None:
    """``YYYY-MM-DD`` (a whole day: an end date includes it) or an ISO datetime (UTC if naive)."""
    if raw is None or raw == "":
        return None
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            moment = datetime.combine(day, time.min, tzinfo=UTC)
            return moment + timedelta(days=1) if end_of_day else moment
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationError(f"{name}: not a date (YYYY-MM-DD) or ISO 8601 time") from None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def usage_view(
    billing: Billing,
    session: Session,
    org_id: str,
    *,
    start: datetime | None,
    end: datetime | None,
    limit: int,
) -> dict[str, Any]:
    """``GET /credits/usage``: credits charged (net of refunds) by tile, by date and both,
    from the ledger's most recent ``limit`` usage rows in ``[start, end)``."""
    if not 1 <= limit <= MAX_USAGE_EVENTS:
        raise ValidationError(f"limit: must be between 1 and {MAX_USAGE_EVENTS}")
    end = end or billing.clock()
    start = start or end - timedelta(days=30)
    if start >= end:
        raise ValidationError("start_date must be before end_date")
    billing.account(session, org_id)
    rows = session.execute(
        select(CreditLedgerEntry.created_at, CreditLedgerEntry.tile, CreditLedgerEntry.amount)
        .where(
            CreditLedgerEntry.organization_id == org_id,
            CreditLedgerEntry.kind.in_(USAGE_KINDS),
            CreditLedgerEntry.created_at >= start,
            CreditLedgerEntry.created_at < end,
        )
        .order_by(CreditLedgerEntry.id.desc())
        .limit(limit)
    ).all()
    by_tile: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_date: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_both: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for created_at, tile, amount in rows:
        day, name = created_at.astimezone(UTC).date().isoformat(), tile or "Other"
        for bucket in (by_tile[name], by_date[day], by_both[(day, name)]):
            bucket[0] -= amount
            bucket[1] += 1
    return {
        "organization_id": org_id,
        "date_range": {"start_date": start.isoformat(), "end_date": end.isoformat()},
        "total_credits": sum(v[0] for v in by_tile.values()),
        "total_events": len(rows),
        "by_tile": [
            {"tile": tile, "credits": v[0], "events": v[1]} for tile, v in sorted(by_tile.items())
        ],
        "by_date": [
            {"date": day, "credits": v[0], "events": v[1]} for day, v in sorted(by_date.items())
        ],
        "by_date_and_tile": [
            {"date": day, "tile": tile, "credits": v[0], "events": v[1]}
            for (day, tile), v in sorted(by_both.items())
        ],
    }


def ledger_view(
    billing: Billing, session: Session, org_id: str, *, limit: int, cursor: str | None
) -> dict[str, Any]:
    """[ext] ``GET /credits/ledger``: the raw rows, newest first, for audits."""
    if not 1 <= limit <= 100:
        raise ValidationError("limit: must be between 1 and 100")
    before = None
    if cursor:
        if not cursor.isdigit():
            raise ValidationError("cursor: not a cursor this API issued")
        before = int(cursor)
    billing.account(session, org_id)
    rows = ledger.entries(session, org_id, limit=limit + 1, before_id=before)
    page = rows[:limit]
    return {
        "organization_id": org_id,
        "balance": ledger.balance(session, org_id),
        "entries": [ledger.entry_view(entry) for entry in page],
        "next_cursor": str(page[-1].id) if len(rows) > limit else None,
    }
