"""Plans and credits: the organization's plan, the catalogue, upgrades, balance, usage, the
ledger [ext] and automatic top-ups."""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime

from tilework.sdk._async import AsyncCore
from tilework.sdk._call import Call, model, query
from tilework.sdk._sync import SyncCore
from tilework.sdk.models.billing import (
    AutoTopupSettings,
    Credits,
    CreditSettingsRequest,
    CreditUsage,
    LedgerEntry,
    LedgerPage,
    PlanList,
    PlanOffer,
    PlanView,
    UpgradeRequest,
    UpgradeResult,
)

Day = date | datetime | str | None

# --- operations ------------------------------------------------------------------------------


def get_plan() -> Call[PlanView]:
    return Call("GET", "/plan", model(PlanView))


def list_plans() -> Call[PlanList]:
    return Call("GET", "/plan/list", model(PlanList))


def upgrade_plan(body: UpgradeRequest) -> Call[UpgradeResult]:
    return Call("POST", "/plan/upgrade", model(UpgradeResult), body=body)


def get_credits() -> Call[Credits]:
    return Call("GET", "/credits", model(Credits))


def credit_usage(start_date: Day, end_date: Day, limit: int | None) -> Call[CreditUsage]:
    params = query(start_date=_day(start_date), end_date=_day(end_date), limit=limit)
    return Call("GET", "/credits/usage", model(CreditUsage), params)


def credit_settings(body: CreditSettingsRequest) -> Call[Credits]:
    return Call("POST", "/credits/settings", model(Credits), body=body)


def credit_ledger(limit: int, cursor: str | None) -> Call[LedgerPage]:
    return Call("GET", "/credits/ledger", model(LedgerPage), query(limit=limit, cursor=cursor))


def _day(value: Day) -> str | None:
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def _topup(enabled: bool, threshold: int, quantity: int) -> CreditSettingsRequest:
    settings = AutoTopupSettings(enabled=enabled, threshold=threshold, quantity=quantity)
    return CreditSettingsRequest(auto_topup=settings)


# --- synchronous -----------------------------------------------------------------------------


class Plans:
    def __init__(self, core: SyncCore) -> None:
        self._core = core

    def get(self) -> PlanView:
        """The organization's plan, period and credit summary."""
        return self._core.call(get_plan())

    def list(self) -> builtins.list[PlanOffer]:
        return self._core.call(list_plans()).plans

    def upgrade(
        self, plan_id: str, *, success_url: str | None = None, cancel_url: str | None = None
    ) -> UpgradeResult:
        """Change plan at once, or (``requires_checkout``) once ``checkout_url`` is paid."""
        body = UpgradeRequest(plan_id=plan_id, success_url=success_url, cancel_url=cancel_url)
        return self._core.call(upgrade_plan(body))


class CreditsApi:
    def __init__(self, core: SyncCore) -> None:
        self._core = core

    def get(self) -> Credits:
        return self._core.call(get_credits())

    def usage(
        self, *, start_date: Day = None, end_date: Day = None, limit: int | None = None
    ) -> CreditUsage:
        """Credits used by tile and by day (``end_date`` inclusive; default: last 30 days)."""
        return self._core.call(credit_usage(start_date, end_date, limit))

    def set_auto_topup(self, *, enabled: bool, threshold: int = 0, quantity: int = 0) -> Credits:
        """Buy ``quantity`` credits whenever the balance falls below ``threshold`` (403 unless
        the plan is creator or professional)."""
        return self._core.call(credit_settings(_topup(enabled, threshold, quantity)))

    def ledger(self, *, limit: int = 25, cursor: str | None = None) -> LedgerPage:
        """[ext] One page of credit movements, newest first."""
        return self._core.call(credit_ledger(limit, cursor))

    def iterate_ledger(self, *, page_size: int = 100) -> Iterator[LedgerEntry]:
        return self._core.paginate(lambda cursor: credit_ledger(page_size, cursor))


# --- asynchronous ----------------------------------------------------------------------------


class AsyncPlans:
    def __init__(self, core: AsyncCore) -> None:
        self._core = core

    async def get(self) -> PlanView:
        return await self._core.call(get_plan())

    async def list(self) -> builtins.list[PlanOffer]:
        return (await self._core.call(list_plans())).plans

    async def upgrade(
        self, plan_id: str, *, success_url: str | None = None, cancel_url: str | None = None
    ) -> UpgradeResult:
        body = UpgradeRequest(plan_id=plan_id, success_url=success_url, cancel_url=cancel_url)
        return await self._core.call(upgrade_plan(body))


class AsyncCreditsApi:
    def __init__(self, core: AsyncCore) -> None:
        self._core = core

    async def get(self) -> Credits:
        return await self._core.call(get_credits())

    async def usage(
        self, *, start_date: Day = None, end_date: Day = None, limit: int | None = None
    ) -> CreditUsage:
        return await self._core.call(credit_usage(start_date, end_date, limit))

    async def set_auto_topup(
        self, *, enabled: bool, threshold: int = 0, quantity: int = 0
    ) -> Credits:
        return await self._core.call(credit_settings(_topup(enabled, threshold, quantity)))

    async def ledger(self, *, limit: int = 25, cursor: str | None = None) -> LedgerPage:
        return await self._core.call(credit_ledger(limit, cursor))

    def iterate_ledger(self, *, page_size: int = 100) -> AsyncIterator[LedgerEntry]:
        return self._core.paginate(lambda cursor: credit_ledger(page_size, cursor))
