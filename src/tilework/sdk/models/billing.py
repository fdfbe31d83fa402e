"""Plans and credits: the plan, the catalogue, upgrades, balance, usage, the ledger, top-ups."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from tilework.sdk.models._base import Answer, Request

# --- requests ------------------------------------------------------------------------------


class UpgradeRequest(Request):
    plan_id: str
    success_url: str | None = None
    cancel_url: str | None = None


class AutoTopupSettings(Request):
    enabled: bool
    threshold: int  # top up when the balance falls below this
    quantity: int  # credits bought per top-up


class CreditSettingsRequest(Request):
    auto_topup: AutoTopupSettings


# --- answers -------------------------------------------------------------------------------


class PlanInfo(Answer):
    id: str
    family: str | None = None
    status: str | None = None
    started_at: datetime | None = None
    current_period_start: datetime | None = None
    current_period_end: datetime | None = None
    canceled_at: datetime | None = None


class PlanCredits(Answer):
    balance: int
    usage: int = 0
    included_usage: int = 0
    unlimited: bool = False


class PlanView(Answer):
    """``GET /plan``."""

    organization_id: str
    plan: PlanInfo
    scheduled_plan: dict[str, Any] | None = None
    credits: PlanCredits


class PlanOffer(Answer):
    """One entry of ``GET /plan/list``."""

    id: str
    billing: str
    price_usd: float
    credits_per_month: int
    top_up_rate_per_100_credits_usd: float | None = None
    notes: str | None = None


class PlanList(Answer):
    plans: list[PlanOffer]


class UpgradeResult(Answer):
    """Applied at once (``requires_checkout`` false), or once ``checkout_url`` is paid."""

    success: bool
    requires_checkout: bool
    plan_id: str
    checkout_url: str | None = None
    checkout_id: str | None = None
    expires_at: datetime | None = None
    message: str = ""
    plan: PlanInfo | None = None


class AutoTopup(Answer):
    eligible: bool
    enabled: bool
    threshold: int
    quantity: int


class BillingCycle(Answer):
    current_period_start: datetime | None = None
    current_period_end: datetime | None = None


class Credits(Answer):
    """``GET /credits`` (``plan`` is null on the free plan; ``reserved`` [ext] is held by
    running tasks)."""

    organization_id: str
    balance: int
    reserved: int = 0
    plan: str | None = None
    plan_id: str | None = None
    billing_cycle: BillingCycle | None = None
    auto_topup: AutoTopup
    success: bool | None = None  # set on the answer of POST /credits/settings


class DateRange(Answer):
    start_date: datetime
    end_date: datetime


class UsageRow(Answer):
    credits: int
    events: int
    tile: str | None = None
    date: str | None = None  # YYYY-MM-DD


class CreditUsage(Answer):
    """``GET /credits/usage``: credits used, by tile, by day and by both."""

    organization_id: str
    date_range: DateRange
    total_credits: int
    total_events: int
    by_tile: list[UsageRow] = Field(default_factory=list)
    by_date: list[UsageRow] = Field(default_factory=list)
    by_date_and_tile: list[UsageRow] = Field(default_factory=list)


class LedgerEntry(Answer):
    id: int
    kind: str
    amount: int
    created_at: datetime
    run_id: str | None = None
    task_id: str | None = None
    reservation_id: int | None = None
    tile: str | None = None
    details: dict[str, Any] | None = None


class LedgerPage(Answer):
    """[ext] ``GET /credits/ledger``: every credit movement, newest first."""

    organization_id: str
    balance: int
    entries: list[LedgerEntry]
    next_cursor: str | None = None

    @property
    def items(self) -> list[LedgerEntry]:
        return self.entries
