"""[ext] Webhook settings, test deliveries, a run's delivery log and redelivery."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from tilework.sdk.models._base import Answer, Request

# --- requests ------------------------------------------------------------------------------


class WebhookSettingsUpdate(Request):
    """Every field optional; at most one of ``secret``, ``generate_secret``, ``remove_secret``."""

    secret: str | None = None
    generate_secret: bool | None = None
    remove_secret: bool | None = None
    send_plaintext_header: bool | None = None


class TestWebhookRequest(Request):
    url: str


# --- answers -------------------------------------------------------------------------------


class WebhookSettings(Answer):
    secret: str | None = None
    send_plaintext_header: bool = True
    previous_secret_expires_at: datetime | None = None
    active_secrets: int = 0


class TestDelivery(Answer):
    success: bool
    webhook_id: str
    url: str
    status_code: int | None = None
    latency_ms: int = 0
    error: str | None = None
    response_excerpt: str | None = None


class DeliveryAttempt(Answer):
    attempt: int
    started_at: datetime
    url: str
    status_code: int | None = None
    latency_ms: int = 0
    error: str | None = None
    response_excerpt: str | None = None


class EventDeliveries(Answer):
    """One webhook event of a run and every attempt to deliver it."""

    id: str
    seq: int
    flag: str
    created_at: datetime
    callback_url: str | None = None
    delivery_status: str  # pending | delivered | failed | none
    attempts: list[DeliveryAttempt] = Field(default_factory=list)
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None


class RunDeliveries(Answer):
    run_id: str
    events: list[EventDeliveries]


class Redelivery(Answer):
    success: bool
    event_id: str
    delivery_status: str
