"""``webhook_verifier`` in a real FastAPI app, driven in process through ``httpx.ASGITransport``."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
from fastapi import Depends, FastAPI

from tilework.webhooks.fastapi import webhook_verifier
from tilework.webhooks.verify import Webhook

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
BODY = json.dumps({"flag": "RUN_STARTED", "run_id": "r-1"}, separators=(",", ":")).encode()


def make_app() -> FastAPI:
    app = FastAPI()

    @app.post("/hook")
    async def hook(event: dict[str, Any] = Depends(webhook_verifier(SECRET))) -> dict[str, Any]:
        return {"got": event["run_id"]}

    return app


def post(body: bytes, headers: dict[str, str]) -> httpx.Response:
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=make_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.post("/hook", content=body, headers=headers)

    return asyncio.run(send())


def signed(body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
    stamp = int(time.time()) if timestamp is None else timestamp
    return {
        "content-type": "application/json",
        "webhook-id": "evt_1",
        "webhook-timestamp": str(stamp),
        "webhook-signature": Webhook(SECRET).sign("evt_1", stamp, body),
    }


def test_a_signed_delivery_reaches_the_endpoint_as_its_payload() -> None:
    response = post(BODY, signed(BODY))
    assert response.status_code == 200
    assert response.json() == {"got": "r-1"}


def test_a_tampered_delivery_is_a_400_with_the_reason() -> None:
    response = post(BODY.replace(b"r-1", b"r-2"), signed(BODY))
    assert response.status_code == 400
    assert "signature" in response.json()["detail"]


def test_a_missing_header_is_a_400_naming_it() -> None:
    headers = signed(BODY)
    del headers["webhook-timestamp"]
    response = post(BODY, headers)
    assert response.status_code == 400
    assert response.json() == {"detail": "missing webhook-timestamp header"}


def test_a_stale_delivery_is_a_400() -> None:
    response = post(BODY, signed(BODY, timestamp=int(time.time()) - 3600))
    assert response.status_code == 400
    assert "too old" in response.json()["detail"]
