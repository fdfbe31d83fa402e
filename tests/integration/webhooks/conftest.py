"""Fixtures of the webhook tests: a real receiver, a fake clock, and a sender driven by it.

Each test module defines ``webhook_settings`` (its retry schedule and timeout).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.webhooks.clock import FakeClock
from tests.support.receiver import receiver as receiver  # the fixture, for these tests
from tilework.config import Settings
from tilework.webhooks.sender import WebhookSender


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sender(
    sessions: sessionmaker[Session], webhook_settings: Settings, clock: FakeClock
) -> Iterator[WebhookSender]:
    hooks = WebhookSender(sessions, webhook_settings, clock=clock)
    yield hooks
    hooks.stop()
