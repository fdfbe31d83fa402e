"""The ledger on a real database: holds, charges and releases are idempotent per task, the
balance is the sum of the rows, allowances come once per month."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tilework.billing import ledger
from tilework.billing.catalogue import catalogue_from_settings
from tilework.billing.checkout import ImmediateCheckout
from tilework.billing.pricing import PriceTable
from tilework.billing.schemas import AutoTopupSettings, UpgradeRequest
from tilework.billing.service import Billing, TaskCharge
from tilework.config import Settings
from tilework.db.session import unit_of_work
from tilework.db.tables import CreditLedgerEntry, Organization
from tilework.errors import (
    ConflictError,
    ForbiddenError,
    InsufficientCreditsError,
    NotFoundError,
    ValidationError,
)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 3, 10, 9, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def billing(clock: Clock) -> Billing:
    settings = Settings(billing_plans={"free": {"credits_per_month": 10}})
    return Billing(catalogue_from_settings(settings), PriceTable(), ImmediateCheckout(), clock)


@pytest.fixture
def org_id(sessions: sessionmaker[Session], clock: Clock) -> str:
    with unit_of_work(sessions) as session:
        org = Organization(name="Acme", slug="acme", created_at=clock.now - timedelta(days=3))
        session.add(org)
        session.flush()
        return org.id


def charge_of(task: str, cost: int) -> TaskCharge:
    return TaskCharge(task, "run-1", "Render", cost, {"duration_s": 4.0})


def rows(sessions: sessionmaker[Session], org_id: str) -> list[tuple[str, int]]:
    with unit_of_work(sessions) as session:
        entries = session.scalars(
            select(CreditLedgerEntry)
            .where(CreditLedgerEntry.organization_id == org_id)
            .order_by(CreditLedgerEntry.id)
        )
        return [(e.kind, e.amount) for e in entries]


def balance(sessions: sessionmaker[Session], billing: Billing, org_id: str) -> int:
    with unit_of_work(sessions) as session:
        return billing.funds(session, org_id).balance


def test_hold_then_charge_once(
    sessions: sessionmaker[Session], billing: Billing, org_id: str
) -> None:
    with unit_of_work(sessions) as session:
        assert billing.reserve_task(session, org_id, charge_of("t1", 4))
        assert billing.reserve_task(session, org_id, charge_of("t1", 4))  # a re-delivered job
        assert ledger.reserved(session, org_id) == 4
    assert balance(sessions, billing, org_id) == 6
    for _ in range(2):  # a crash after the commit replays the result: nothing new
        with unit_of_work(sessions) as session:
            billing.settle_task(session, org_id, "t1", succeeded=True)
    assert rows(sessions, org_id) == [
        ("allowance", 10),
        ("reservation", -4),
        ("release", 4),
        ("charge", -4),
    ]
    assert balance(sessions, billing, org_id) == 6
    with unit_of_work(sessions) as session:  # a late failure report changes nothing either
        billing.settle_task(session, org_id, "t1", succeeded=False)
        billing.release_tasks(session, org_id, ["t1"])
    assert len(rows(sessions, org_id)) == 4


def test_failure_releases_and_a_resume_holds_again(
    sessions: sessionmaker[Session], billing: Billing, org_id: str
) -> None:
    with unit_of_work(sessions) as session:
        assert billing.reserve_task(session, org_id, charge_of("t1", 3))
        billing.settle_task(session, org_id, "t1", succeeded=False)
    assert balance(sessions, billing, org_id) == 10
    with unit_of_work(sessions) as session:  # resumed: a second hold, then success
        assert billing.reserve_task(session, org_id, charge_of("t1", 3))
        billing.settle_task(session, org_id, "t1", succeeded=True)
    assert balance(sessions, billing, org_id) == 7
    with unit_of_work(sessions) as session:
        keys = session.scalars(
            select(CreditLedgerEntry.idempotency_key).where(CreditLedgerEntry.task_id == "t1")
        ).all()
    assert sorted(k.split(":")[0] for k in keys) == [
        "charge",
        "release",
        "release",
        "reservation",
        "reservation",
    ]
    assert {k for k in keys if k.startswith("reservation")} == {
        "reservation:t1:0",
        "reservation:t1:1",
    }


def test_insufficient_balance_holds_nothing(
    sessions: sessionmaker[Session], billing: Billing, org_id: str
) -> None:
    with unit_of_work(sessions) as session:
        assert billing.reserve_task(session, org_id, charge_of("t1", 8))
        assert not billing.reserve_task(session, org_id, charge_of("t2", 3))
        assert billing.reserve_task(session, org_id, charge_of("t3", 2))
        assert billing.reserve_task(session, org_id, charge_of("free", 0))
    assert balance(sessions, billing, org_id) == 0
    assert [kind for kind, _ in rows(sessions, org_id)].count("reservation") == 2


def test_allowance_once_per_month_and_at_each_plan_change(
    sessions: sessionmaker[Session], billing: Billing, org_id: str, clock: Clock
) -> None:
    assert balance(sessions, billing, org_id) == 10
    assert balance(sessions, billing, org_id) == 10
    clock.now += timedelta(days=30)  # the next month (anchored at the organization's creation)
    assert balance(sessions, billing, org_id) == 20
    with unit_of_work(sessions) as session:
        billing.upgrade(session, org_id, UpgradeRequest(plan_id="creator"))
    assert balance(sessions, billing, org_id) == 2520
    with unit_of_work(sessions) as session, pytest.raises(ConflictError):
        billing.upgrade(session, org_id, UpgradeRequest(plan_id="creator"))
    clock.now += timedelta(days=31)
    assert balance(sessions, billing, org_id) == 5020


def test_auto_top_up_buys_and_records_the_price(
    sessions: sessionmaker[Session], billing: Billing, org_id: str
) -> None:
    settings = AutoTopupSettings(enabled=True, threshold=100, quantity=500)
    with unit_of_work(sessions) as session, pytest.raises(ForbiddenError):
        billing.update_auto_topup(session, org_id, settings)  # the free plan cannot
    with unit_of_work(sessions) as session:
        billing.upgrade(session, org_id, UpgradeRequest(plan_id="creator"))
        billing.update_auto_topup(session, org_id, settings)
        assert billing.reserve_task(session, org_id, charge_of("t1", 2400))  # 2510 → 110
        assert billing.reserve_task(session, org_id, charge_of("t2", 20))  # 110 → 90: top up
        assert billing.reserve_task(session, org_id, charge_of("t3", 1200))  # 590 → needs 2
    entries = rows(sessions, org_id)
    assert [e for e in entries if e[0] == "topup"] == [("topup", 500), ("topup", 1000)]
    with unit_of_work(sessions) as session:
        topup = session.scalars(
            select(CreditLedgerEntry).where(CreditLedgerEntry.kind == "topup")
        ).first()
        assert topup is not None and topup.details is not None
        assert topup.details["price_usd"] == 10.0  # 500 credits at 2 USD per 100
    assert balance(sessions, billing, org_id) == 2510 + 1500 - 2400 - 20 - 1200


def test_grants_and_refunds(sessions: sessionmaker[Session], billing: Billing, org_id: str) -> None:
    with unit_of_work(sessions) as session:
        assert billing.grant(session, org_id, 5, note="welcome") == 15
        with pytest.raises(ValidationError):
            billing.grant(session, org_id, -5)
        with pytest.raises(ValidationError):
            billing.grant(session, org_id, 10**12)
        with pytest.raises(NotFoundError):
            billing.grant(session, "no-such-org", 5)
        assert billing.reserve_task(session, org_id, charge_of("t1", 4))
        billing.settle_task(session, org_id, "t1", succeeded=True)
        assert billing.refund_task(session, org_id, "t1") == 15
        with pytest.raises(ConflictError):
            billing.refund_task(session, org_id, "t1")
        with pytest.raises(NotFoundError):
            billing.refund_task(session, org_id, "never-charged")


def test_adjustments_correct_the_balance_either_way(
    sessions: sessionmaker[Session], billing: Billing, org_id: str
) -> None:
    with unit_of_work(sessions) as session:
        assert billing.adjust(session, org_id, 7, "missed grant") == 17  # 10 allowance + 7
        assert billing.adjust(session, org_id, -12, "double grant") == 5
        for amount, note in ((0, "nothing"), (10**12, "too much"), (3, "  ")):
            with pytest.raises(ValidationError):
                billing.adjust(session, org_id, amount, note)
        with pytest.raises(InsufficientCreditsError, match="would leave -1"):
            billing.adjust(session, org_id, -6, "chargeback")
        assert billing.adjust(session, org_id, -6, "chargeback", allow_negative=True) == -1
    assert rows(sessions, org_id)[-3:] == [
        ("adjustment", 7),
        ("adjustment", -12),
        ("adjustment", -6),
    ]
    assert balance(sessions, billing, org_id) == -1
