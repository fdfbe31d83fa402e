"""[ext] Webhook settings (secret, rotation, plaintext header), test deliveries, a run's
delivery log and redelivery."""

from __future__ import annotations

from tilework.sdk._async import AsyncCore
from tilework.sdk._call import Call, model, path
from tilework.sdk._sync import SyncCore
from tilework.sdk.models.webhooks import (
    Redelivery,
    RunDeliveries,
    TestDelivery,
    TestWebhookRequest,
    WebhookSettings,
    WebhookSettingsUpdate,
)

# --- operations ------------------------------------------------------------------------------


def get_settings() -> Call[WebhookSettings]:
    return Call("GET", "/webhooks/settings", model(WebhookSettings))


def put_settings(body: WebhookSettingsUpdate) -> Call[WebhookSettings]:
    return Call("PUT", "/webhooks/settings", model(WebhookSettings), body=body)


def rotate_secret() -> Call[WebhookSettings]:
    return Call("POST", "/webhooks/settings/rotate", model(WebhookSettings))


def send_test(url: str) -> Call[TestDelivery]:
    return Call("POST", "/webhooks/test", model(TestDelivery), body=TestWebhookRequest(url=url))


def run_deliveries(run_id: str) -> Call[RunDeliveries]:
    return Call("GET", path("/agent_run/{}/webhooks", run_id), model(RunDeliveries))


def redeliver(event_id: str) -> Call[Redelivery]:
    return Call("POST", path("/webhook_events/{}/redeliver", event_id), model(Redelivery))


def _update(
    secret: str | None,
    generate_secret: bool | None,
    remove_secret: bool | None,
    send_plaintext_header: bool | None,
) -> WebhookSettingsUpdate:
    return WebhookSettingsUpdate(
        secret=secret,
        generate_secret=generate_secret,
        remove_secret=remove_secret,
        send_plaintext_header=send_plaintext_header,
    )


# --- synchronous -----------------------------------------------------------------------------


class Webhooks:
    def __init__(self, core: SyncCore) -> None:
        self._core = core

    def settings(self) -> WebhookSettings:
        return self._core.call(get_settings())

    def update_settings(
        self,
        *,
        secret: str | None = None,
        generate_secret: bool | None = None,
        remove_secret: bool | None = None,
        send_plaintext_header: bool | None = None,
    ) -> WebhookSettings:
        """Set, generate or remove the signing secret; turn ``X-Mosaic-Signature`` on or off."""
        body = _update(secret, generate_secret, remove_secret, send_plaintext_header)
        return self._core.call(put_settings(body))

    def rotate_secret(self) -> WebhookSettings:
        """A new secret; the old one keeps signing alongside it for 24 hours."""
        return self._core.call(rotate_secret())

    def test(self, url: str) -> TestDelivery:
        """Send a signed ``TEST`` event to ``url`` now and report the attempt."""
        return self._core.call(send_test(url))

    def deliveries(self, run_id: str) -> RunDeliveries:
        """The run's webhook events, each with every delivery attempt."""
        return self._core.call(run_deliveries(run_id))

    def redeliver(self, event_id: str) -> Redelivery:
        """Queue one event again (same ``webhook-id``)."""
        return self._core.call(redeliver(event_id))


# --- asynchronous ----------------------------------------------------------------------------


class AsyncWebhooks:
    def __init__(self, core: AsyncCore) -> None:
        self._core = core

    async def settings(self) -> WebhookSettings:
        return await self._core.call(get_settings())

    async def update_settings(
        self,
        *,
        secret: str | None = None,
        generate_secret: bool | None = None,
        remove_secret: bool | None = None,
        send_plaintext_header: bool | None = None,
    ) -> WebhookSettings:
        body = _update(secret, generate_secret, remove_secret, send_plaintext_header)
        return await self._core.call(put_settings(body))

    async def rotate_secret(self) -> WebhookSettings:
        return await self._core.call(rotate_secret())

    async def test(self, url: str) -> TestDelivery:
        return await self._core.call(send_test(url))

    async def deliveries(self, run_id: str) -> RunDeliveries:
        return await self._core.call(run_deliveries(run_id))

    async def redeliver(self, event_id: str) -> Redelivery:
        return await self._core.call(redeliver(event_id))
