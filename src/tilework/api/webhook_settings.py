"""[ext] ``/webhooks/settings`` (secret, plaintext header, rotation) and ``/webhooks/test``.
HTTP only; the rules live in ``tilework.webhooks.secrets`` and the sender."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from tilework.api.deps import SessionDep, get_org, get_runtime
from tilework.db.tables import Organization, utcnow
from tilework.net.guard import check_url
from tilework.runtime import Runtime
from tilework.webhooks import secrets

router = APIRouter(tags=["webhooks"])


def _load(session: Session, org: Organization) -> Organization:
    return session.get_one(Organization, org.id)


@router.get("/webhooks/settings")
def get_webhook_settings(
    *, session: SessionDep, org: Organization = Depends(get_org)
) -> dict[str, Any]:
    return secrets.settings_view(_load(session, org), utcnow())


@router.put("/webhooks/settings")
def put_webhook_settings(
    body: secrets.WebhookSettingsUpdate,
    *,
    session: SessionDep,
    org: Organization = Depends(get_org),
) -> dict[str, Any]:
    owned = _load(session, org)
    secrets.update_settings(owned, body)
    return secrets.settings_view(owned, utcnow())


@router.post("/webhooks/settings/rotate")
def rotate_webhook_secret(
    *, session: SessionDep, org: Organization = Depends(get_org)
) -> dict[str, Any]:
    owned = _load(session, org)
    now = utcnow()
    secrets.rotate(owned, now)
    return secrets.settings_view(owned, now)


class TestWebhookRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str


@router.post("/webhooks/test")
def send_test_webhook(
    body: TestWebhookRequest,
    org: Organization = Depends(get_org),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    """Send a signed ``{"flag": "TEST", ...}`` event to ``url`` and report the attempt.

    No database session is held while the receiver answers (``org`` was loaded by the auth
    dependency in its own short transaction)."""
    check_url(body.url, allow_private=runtime.settings.allow_private_urls)
    return runtime.webhooks.send_test(org, body.url)
