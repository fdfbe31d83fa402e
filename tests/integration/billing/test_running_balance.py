"""The running totals on ``billing_accounts`` (``balance``, ``reserved``) equal the ledger's sums
after every kind of movement, on SQLite and on PostgreSQL, and the migration that adds them
backfills them from the ledger already written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from tilework.billing import ledger
from tilework.billing.catalogue import catalogue_from_settings
from tilework.billing.checkout import ImmediateCheckout
from tilework.billing.pricing import PriceTable
from tilework.billing.schemas import AutoTopupSettings, UpgradeRequest
from tilework.billing.service import Billing, TaskCharge
from tilework.config import Settings
from tilework.db.migrate import upgrade
from tilework.db.session import make_session_factory, unit_of_work
from tilework.db.tables import BillingAccount, Organization
from tilework.errors import NotFoundError

NOW = datetime(2025, 3, 10, 9, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database, not migrated yet."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ledger.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    engine = create_engine(url)
    yield engine
    engine.dispose()


def check_totals(sessions: sessionmaker[Session], org_id: str) -> int:
    """The running totals equal the ledger's sums; returns the balance."""
    with unit_of_work(sessions) as session:
        account = session.get_one(BillingAccount, org_id)
        summed = ledger.totals(session, org_id)
        assert (account.balance, account.reserved) == summed
        assert (ledger.balance(session, org_id), ledger.reserved(session, org_id)) == summed
        return summed[0]


def test_running_totals_follow_every_movement(engine: Engine) -> None:
    upgrade(engine)
    sessions = make_session_factory(engine)
    settings = Settings(billing_plans={"free": {"credits_per_month": 10}})
    billing = Billing(
        catalogue_from_settings(settings), PriceTable(), ImmediateCheckout(), lambda: NOW
    )
    with unit_of_work(sessions) as session:
        org = Organization(name="Acme", slug="acme", created_at=NOW - timedelta(days=3))
        session.add(org)
        session.flush()
        org_id = org.id
    with unit_of_work(sessions) as session:  # first use: the account and its allowance
        assert billing.funds(session, org_id).balance == 10
    assert check_totals(sessions, org_id) == 10

    def reserve(task: str, cost: int) -> None:
        with unit_of_work(sessions) as session:
            charge = TaskCharge(task, "run-1", "Render", cost, {})
            assert billing.reserve_task(session, org_id, charge)

    reserve("t1", 4)
    with unit_of_work(sessions) as session:
        assert ledger.reserved(session, org_id) == 4
    assert check_totals(sessions, org_id) == 6
    for succeeded in (True, True):  # charged once, however often it is reported
        with unit_of_work(sessions) as session:
            billing.settle_task(session, org_id, "t1", succeeded=succeeded)
        assert check_totals(sessions, org_id) == 6
    reserve("t2", 3)
    with unit_of_work(sessions) as session:  # a cancel gives the hold back
        billing.release_tasks(session, org_id, ["t2"])
    assert check_totals(sessions, org_id) == 6
    reserve("t2", 3)  # resumed: a second hold, then a failure
    with unit_of_work(sessions) as session:
        billing.settle_task(session, org_id, "t2", succeeded=False)
    assert check_totals(sessions, org_id) == 6
    with unit_of_work(sessions) as session:
        assert billing.grant(session, org_id, 100) == 106
    with unit_of_work(sessions) as session:
        assert billing.refund_task(session, org_id, "t1") == 110
    with unit_of_work(sessions) as session:
        assert billing.adjust(session, org_id, -10, "correction") == 100
    assert check_totals(sessions, org_id) == 100
    with unit_of_work(sessions) as session:  # a paid plan: its allowance, then top-ups
        billing.upgrade(session, org_id, UpgradeRequest(plan_id="creator"))
    with unit_of_work(sessions) as session:
        billing.update_auto_topup(
            session, org_id, AutoTopupSettings(enabled=True, threshold=0, quantity=500)
        )
    balance = check_totals(sessions, org_id)
    reserve("t3", balance + 700)  # two automatic top-ups pay for it
    assert check_totals(sessions, org_id) == balance + 1000 - (balance + 700)
    with unit_of_work(sessions) as session, pytest.raises(NotFoundError):
        billing.funds(session, "no-such-organization")


def test_the_migration_backfills_the_totals_from_the_ledger(engine: Engine) -> None:
    """A database at 0009 with ledger rows (and an organization whose account is missing):
    after 0010 the totals are the sums, and a first use creates the missing account from them."""
    upgrade(engine, "0009_api_keys")
    rows = [
        ("org-a", "grant", 100, "grant:1", None),
        ("org-a", "reservation", -30, "reservation:t:0", "t"),
        ("org-a", "release", 30, "release:1", "t"),
        ("org-a", "charge", -30, "charge:t", "t"),
        ("org-a", "reservation", -5, "reservation:u:0", "u"),
        ("org-b", "grant", 7, "grant:2", None),
    ]
    with engine.begin() as connection:
        for org in ("org-a", "org-b"):
            connection.execute(
                text(
                    "INSERT INTO organizations (id, name, slug, created_at) "
                    "VALUES (:id, :id, :id, :now)"
                ),
                {"id": org, "now": NOW},
            )
        connection.execute(
            text(
                "INSERT INTO billing_accounts (organization_id, plan_id, plan_started_at, "
                "auto_topup_enabled, auto_topup_threshold, auto_topup_quantity, updated_at) "
                "VALUES ('org-a', 'free', :now, false, 0, 0, :now)"
            ),
            {"now": NOW},
        )
        for org, kind, amount, key, task in rows:
            connection.execute(
                text(
                    "INSERT INTO credit_ledger (organization_id, kind, amount, idempotency_key, "
                    "task_id, created_at) VALUES (:org, :kind, :amount, :key, :task, :now)"
                ),
                {"org": org, "kind": kind, "amount": amount, "key": key, "task": task, "now": NOW},
            )
    upgrade(engine)
    sessions = make_session_factory(engine)
    with unit_of_work(sessions) as session:
        account = session.get_one(BillingAccount, "org-a")
        assert (account.balance, account.reserved) == (65, 5)
        assert ledger.balance(session, "org-b") == 7  # no account yet: the sum
    settings = Settings(billing_plans={"free": {"credits_per_month": 0}})
    billing = Billing(
        catalogue_from_settings(settings), PriceTable(), ImmediateCheckout(), lambda: NOW
    )
    with unit_of_work(sessions) as session:
        assert billing.funds(session, "org-b").balance == 7
    assert check_totals(sessions, "org-a") == 65
    assert check_totals(sessions, "org-b") == 7
