"""A FastAPI dependency for receivers: the verified payload of a Tilework delivery, or a 400.

from fastapi import Depends, FastAPI
from tilework.webhooks.fastapi import webhook_verifier

app = FastAPI()

@app.post("/hooks/tilework")
async def hook(event: dict = Depends(webhook_verifier(SECRET))) -> None:
    ...
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import HTTPException, Request

from tilework.webhooks.verify import Webhook, WebhookVerificationError

__all__ = ["webhook_verifier"]


def webhook_verifier(secret: str) -> Callable[..., Awaitable[Any]]:
    """A dependency that verifies the request's Standard Webhooks signature with ``secret``.

    It reads the raw body (the signature covers the exact bytes) and returns the parsed JSON
    payload; a delivery that does not verify is answered ``400`` with the reason as ``detail``.
    """
    webhook = Webhook(secret)

    async def verified_webhook_payload(request: Request) -> Any:
        body = await request.body()
        try:
            return webhook.verify(body, request.headers)
        except WebhookVerificationError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from exc

    return verified_webhook_payload
