"""Deliveries carry Standard Webhooks signatures that a receiver verifies with the secret."""

from __future__ import annotations

import time

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.webhooks.rows import add_events, make_run
from tests.support.receiver import Receiver
from tilework.config import Settings
from tilework.webhooks.sender import WebhookSender
from tilework.webhooks.verify import InvalidSignatureError, Webhook, generate_secret


@pytest.mark.parametrize("secret", ["plain-org-secret", generate_secret()])
def test_a_real_receiver_verifies_the_delivery_with_the_secret(
    sessions: sessionmaker[Session], settings: Settings, receiver: Receiver, secret: str
) -> None:
    run = make_run(sessions, secret=secret, callback_url=receiver.url)
    (event_id,) = add_events(sessions, run, [1], callback_url=receiver.url)
    before = int(time.time())
    sender = WebhookSender(sessions, settings)
    try:
        sender.deliver_due_once()
    finally:
        sender.stop()
    (received,) = receiver.wait_for(1)

    assert Webhook(secret).verify(received.raw, received.headers) == received.body
    assert received.body["run_id"] == run
    assert received.headers["webhook-id"] == event_id
    assert before <= int(received.headers["webhook-timestamp"]) <= int(time.time())
    assert received.headers["x-mosaic-signature"] == secret  # Mosaic's header stays
    with pytest.raises(InvalidSignatureError):
        Webhook(generate_secret()).verify(received.raw, received.headers)


def test_without_a_secret_nothing_is_signed(
    sessions: sessionmaker[Session], settings: Settings, receiver: Receiver
) -> None:
    run = make_run(sessions, callback_url=receiver.url)
    add_events(sessions, run, [1], callback_url=receiver.url)
    sender = WebhookSender(sessions, settings)
    try:
        sender.deliver_due_once()
    finally:
        sender.stop()
    (received,) = receiver.wait_for(1)
    assert "webhook-id" in received.headers
    assert "webhook-signature" not in received.headers
    assert "webhook-timestamp" not in received.headers
