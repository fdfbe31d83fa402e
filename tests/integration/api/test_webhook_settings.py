"""[ext] ``/webhooks/settings``, rotation, ``/webhooks/test`` and ``/metrics`` over real HTTP."""

from __future__ import annotations

from collections.abc import Callable

from tests.integration.api.conftest import Api
from tests.integration.api.test_webhook_log import org_a_run
from tests.integration.webhooks.rows import add_events
from tests.support.receiver import Receiver
from tests.support.receiver import receiver as receiver  # the fixture
from tilework.webhooks import Webhook, verify_plaintext


def test_settings_start_empty_then_set_generate_and_toggle(api: Api) -> None:
    assert api.get("/webhooks/settings").json() == {
        "secret": None,
        "send_plaintext_header": True,
        "previous_secret_expires_at": None,
        "active_secrets": 0,
    }
    chosen = api.request("PUT", "/webhooks/settings", json={"secret": "my-own-secret"}).json()
    assert chosen["secret"] == "my-own-secret" and chosen["active_secrets"] == 1
    generated = api.request("PUT", "/webhooks/settings", json={"generate_secret": True}).json()
    assert generated["secret"].startswith("whsec_")
    off = api.request("PUT", "/webhooks/settings", json={"send_plaintext_header": False}).json()
    assert off["send_plaintext_header"] is False and off["secret"] == generated["secret"]
    other = api.get("/webhooks/settings", key=api.other_key).json()
    assert other["secret"] is None  # organizations never share settings


def test_bad_settings_are_refused(api: Api) -> None:
    for body in ({"secret": "short"}, {"secret": "long-enough", "generate_secret": True}, {"x": 1}):
        response = api.request("PUT", "/webhooks/settings", json=body)
        assert response.status_code == 400 and response.json()["error"] == "validation_error"


def test_rotation_signs_with_old_and_new_during_the_overlap(
    make_api: Callable[..., Api], receiver: Receiver
) -> None:
    api = make_api(allow_private_urls=True)
    old = api.request("PUT", "/webhooks/settings", json={"secret": "old-secret-123"}).json()
    rotated = api.post("/webhooks/settings/rotate").json()
    assert rotated["active_secrets"] == 2 and rotated["previous_secret_expires_at"]
    run = org_a_run(api, receiver.url)
    add_events(api.runtime.sessions, run, [1], callback_url=receiver.url)
    api.runtime.webhooks.deliver_due_once()
    (delivery,) = receiver.wait_for(1)
    for secret in (old["secret"], rotated["secret"]):  # a receiver on either secret accepts it
        assert Webhook(secret).verify(delivery.raw, delivery.headers) == delivery.body
    assert verify_plaintext(rotated["secret"], delivery.headers["x-mosaic-signature"])
    api.runtime.webhooks.stop()


def test_test_event_is_signed_and_reports_the_attempt(
    make_api: Callable[..., Api], receiver: Receiver
) -> None:
    api = make_api(allow_private_urls=True)
    secret = api.request("PUT", "/webhooks/settings", json={"generate_secret": True}).json()
    result = api.post("/webhooks/test", json={"url": receiver.url}).json()
    assert result["success"] is True and result["status_code"] == 200
    (delivery,) = receiver.wait_for(1)
    assert delivery.body["flag"] == "TEST"
    assert delivery.headers["webhook-id"] == result["webhook_id"]
    Webhook(secret["secret"]).verify(delivery.raw, delivery.headers)
    receiver.respond_with(500)
    failed = api.post("/webhooks/test", json={"url": receiver.url}).json()
    assert failed["success"] is False and failed["status_code"] == 500
    api.runtime.webhooks.stop()


def test_test_event_refuses_private_targets_by_default(api: Api) -> None:
    response = api.post("/webhooks/test", json={"url": "http://10.0.0.1/hook"})
    assert response.status_code == 400 and "private" in response.json()["detail"]


def test_metrics_count_delivery_outcomes(make_api: Callable[..., Api], receiver: Receiver) -> None:
    api = make_api(allow_private_urls=True)
    run = org_a_run(api, receiver.url)
    add_events(api.runtime.sessions, run, [1], callback_url=receiver.url)
    api.runtime.webhooks.deliver_due_once()
    receiver.wait_for(1)
    text = api.client.get("/metrics").text
    assert 'tilework_webhook_attempts_total{outcome="delivered"} 1.0' in text
    assert "tilework_webhook_commit_to_delivery_seconds_count 1.0" in text
    api.runtime.webhooks.stop()
