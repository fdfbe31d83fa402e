"""The billing service: what the engine, the API and the CLI call.

Engine hooks (each inside the engine's own transaction, after it locked the run):
``reserve_task`` before a task runs, ``settle_task`` when it ends, ``release_tasks`` on cancel.
Everything takes the organization's billing lock first: ``accounts.lock_account`` (the account,
its allowance up to date), or ``accounts.lock_organization`` for settling holds, which read no
balance (so a priced task loads and checks its account once, at its reservation).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from tilework.billing import accounts, ledger, topup
from tilework.billing.catalogue import Catalogue, catalogue_from_settings
from tilework.billing.checkout import ApprovalCheckout, ImmediateCheckout, make_provider
from tilework.billing.pricing import PriceTable, price_table_from_settings
from tilework.billing.schemas import MAX_GRANT, AutoTopupSettings, UpgradeRequest
from tilework.config import Settings
from tilework.db.tables import BillingAccount, CheckoutSession, CreditLedgerEntry, utcnow
from tilework.errors import (
    ConflictError,
    ForbiddenError,
    InsufficientCreditsError,
    NotFoundError,
    ValidationError,
)
from tilework.storage.signing import UrlSigner


@dataclass(frozen=True)
class TaskCharge:
    """What one task costs, worked out before it runs."""

    task_id: str
    run_id: str
    tile: str  # the tile's display name (usage is reported by it)
    cost: int
    details: dict[str, Any]


@dataclass(frozen=True)
class Funds:
    balance: int
    auto_topup: bool  # automatic top-ups are on and allowed: tasks never wait for credits

    def covers(self, cost: int) -> bool:
        return cost <= 0 or self.auto_topup or self.balance >= cost


@dataclass(frozen=True)
class UpgradeResult:
    plan_id: str
    checkout: CheckoutSession | None  # None: applied at once
    checkout_url: str | None


class Billing:
    def __init__(
        self,
        catalogue: Catalogue,
        prices: PriceTable,
        checkout: ImmediateCheckout | ApprovalCheckout,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.catalogue = catalogue
        self.prices = prices
        self.checkout = checkout
        self.clock = clock

    def account(self, session: Session, org_id: str) -> BillingAccount:
        return accounts.lock_account(session, self.catalogue, org_id, self.clock())

    # -- engine ----------------------------------------------------------------------------

    def reserve_task(self, session: Session, org_id: str, charge: TaskCharge) -> bool:
        """Hold the task's price; False when the balance (after any automatic top-up) cannot
        cover it. A task that already holds credits (re-delivered job) keeps its hold."""
        if charge.cost <= 0:
            return True
        account = self.account(session, org_id)
        entries = ledger.task_entries(session, charge.task_id)
        if entries.open is not None:
            return True
        balance = account.balance
        plan = accounts.plan_of(self.catalogue, account)
        balance += topup.top_up_for(session, account, plan, balance, charge.cost)
        if balance < charge.cost:
            return False
        ledger.reserve(
            session,
            org_id,
            task_id=charge.task_id,
            run_id=charge.run_id,
            tile=charge.tile,
            cost=charge.cost,
            details=charge.details,
            entries=entries,
        )
        return True

    def settle_task(
        self,
        session: Session,
        org_id: str,
        task_id: str,
        *,
        succeeded: bool,
        entries: ledger.TaskEntries | None = None,
    ) -> None:
        """Charge the task's hold when it succeeded, give it back otherwise. ``entries``: the
        task's ledger rows, when the caller read them in this transaction."""
        accounts.lock_organization(session, org_id)
        if succeeded:
            ledger.charge(session, org_id, task_id, entries)
        else:
            ledger.release(session, org_id, task_id, entries)

    def release_tasks(self, session: Session, org_id: str, task_ids: Iterable[str]) -> None:
        ids = list(task_ids)
        if not ids:
            return
        accounts.lock_organization(session, org_id)
        for task_id in ids:
            ledger.release(session, org_id, task_id)

    def funds(self, session: Session, org_id: str) -> Funds:
        account = self.account(session, org_id)
        plan = accounts.plan_of(self.catalogue, account)
        return Funds(account.balance, topup.active(account, plan))

    # -- plans -----------------------------------------------------------------------------

    def upgrade(self, session: Session, org_id: str, request: UpgradeRequest) -> UpgradeResult:
        plan = self.catalogue.get(request.plan_id)
        for name in ("success_url", "cancel_url"):
            _check_redirect(name, getattr(request, name))
        account = self.account(session, org_id)
        if account.plan_id == plan.id:
            raise ConflictError(f"the organization is already on plan {plan.id}")
        checkout = self.checkout.begin(
            session, org_id, plan, request.success_url, request.cancel_url
        )
        if checkout is None:
            accounts.change_plan(session, self.catalogue, account, plan, self.clock())
            return UpgradeResult(plan.id, None, None)
        assert isinstance(self.checkout, ApprovalCheckout)
        return UpgradeResult(plan.id, checkout, self.checkout.url(checkout))

    def find_checkout(self, session: Session, checkout_id: str) -> CheckoutSession:
        checkout = session.get(CheckoutSession, checkout_id)
        if checkout is None:
            raise NotFoundError(f"checkout {checkout_id} not found")
        return checkout

    def complete_checkout(
        self, session: Session, checkout_id: str, *, approve: bool
    ) -> CheckoutSession:
        """Approve (the plan changes now) or decline a pending checkout, exactly once."""
        checkout = self.find_checkout(session, checkout_id)
        account = self.account(session, checkout.organization_id)
        session.refresh(checkout)  # re-read under the organization's lock
        if checkout.status != "pending":
            raise ConflictError(f"this checkout was already {checkout.status}")
        now = self.clock()
        if checkout.expires_at <= now:
            raise ForbiddenError("this checkout has expired")
        if approve:
            plan = self.catalogue.get(checkout.plan_id)
            accounts.change_plan(session, self.catalogue, account, plan, now)
        checkout.status = "approved" if approve else "declined"
        checkout.completed_at = now
        return checkout

    # -- credits ---------------------------------------------------------------------------

    def update_auto_topup(self, session: Session, org_id: str, body: AutoTopupSettings) -> None:
        account = self.account(session, org_id)
        plan = accounts.plan_of(self.catalogue, account)
        if not plan.topup_eligible:
            raise ForbiddenError(
                f"automatic top-ups need a creator or professional plan (this organization is "
                f"on {plan.id}); upgrade with POST /plan/upgrade"
            )
        account.auto_topup_enabled = body.enabled
        account.auto_topup_threshold = body.threshold
        account.auto_topup_quantity = body.quantity
        account.updated_at = self.clock()

    def grant(self, session: Session, org_id: str, amount: int, note: str = "") -> int:
        """An operator's grant of ``amount`` credits; returns the new balance."""
        if not 1 <= amount <= MAX_GRANT:
            raise ValidationError(f"amount: must be between 1 and {MAX_GRANT}")
        account = self.account(session, org_id)
        ledger.append(
            session,
            org_id,
            ledger.GRANT,
            amount,
            f"grant:{uuid.uuid4()}",
            details={"note": note} if note else None,
        )
        return account.balance

    def adjust(
        self, session: Session, org_id: str, amount: int, note: str, *, allow_negative: bool = False
    ) -> int:
        """An operator's correction of the balance by ``amount`` (added, or taken back when
        negative), with the reason in ``note``; returns the new balance. Taking credits back
        never leaves the balance below zero unless ``allow_negative``."""
        if amount == 0 or abs(amount) > MAX_GRANT:
            raise ValidationError(f"amount: must be between -{MAX_GRANT} and {MAX_GRANT}, not 0")
        if not note.strip():
            raise ValidationError("note: say why the balance is corrected (kept on the ledger)")
        balance = self.account(session, org_id).balance
        if amount < 0 and balance + amount < 0 and not allow_negative:
            raise InsufficientCreditsError(
                f"the balance is {balance}: taking {-amount} back would leave {balance + amount}"
            )
        ledger.append(
            session,
            org_id,
            ledger.ADJUSTMENT,
            amount,
            f"adjustment:{uuid.uuid4()}",
            details={"note": note.strip()},
        )
        return balance + amount

    def refund_task(self, session: Session, org_id: str, task_id: str, note: str = "") -> int:
        """Give back what a task was charged (an operator's decision), once; the new balance."""
        account = self.account(session, org_id)
        charged = session.scalar(
            select(CreditLedgerEntry).where(
                CreditLedgerEntry.idempotency_key == f"charge:{task_id}",
                CreditLedgerEntry.organization_id == org_id,
            )
        )
        if charged is None:
            raise NotFoundError(f"task {task_id} was not charged to this organization")
        refunded = ledger.append(
            session,
            org_id,
            ledger.REFUND,
            -charged.amount,
            f"refund:{task_id}",
            task_id=task_id,
            run_id=charged.run_id,
            tile=charged.tile,
            details={"note": note} if note else None,
        )
        if not refunded.created:
            raise ConflictError(f"task {task_id} was already refunded")
        return account.balance


def _check_redirect(name: str, url: str | None) -> None:
    if url is None:
        return
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError(f"{name}: must be an absolute http(s) URL")


def billing_from_settings(settings: Settings, signer: UrlSigner) -> Billing:
    return Billing(
        catalogue_from_settings(settings),
        price_table_from_settings(settings),
        make_provider(settings.checkout_provider, signer),
    )
