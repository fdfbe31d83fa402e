"""Per-organization webhook secrets: set, generate, rotate, and which ones sign right now.

A rotation keeps the previous secret signing alongside the new one for ``ROTATION_OVERLAP`` so
receivers can switch over without dropping a delivery (Standard Webhooks puts one ``v1,``
signature per active secret in ``webhook-signature``). The plaintext ``X-Mosaic-Signature``
header (Mosaic's scheme) carries the current secret only, and can be turned off.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tilework.db.tables import Organization
from tilework.webhooks.verify import generate_secret

ROTATION_OVERLAP = timedelta(hours=24)


class SecretColumns(Protocol):
    """An organization's webhook secret columns: the ORM row, or just those columns of it."""

    @property
    def webhook_secret(self) -> str | None: ...
    @property
    def webhook_previous_secret(self) -> str | None: ...
    @property
    def webhook_previous_secret_until(self) -> datetime | None: ...
    @property
    def webhook_plaintext_header(self) -> bool: ...


class WebhookSettingsUpdate(BaseModel):
    """``PUT /webhooks/settings``: every field optional; absent means unchanged."""

    model_config = ConfigDict(extra="forbid")

    secret: str | None = Field(default=None, min_length=8, max_length=200)
    generate_secret: bool = False
    remove_secret: bool = False
    send_plaintext_header: bool | None = None

    @model_validator(mode="after")
    def _one_way_to_set(self) -> WebhookSettingsUpdate:
        if sum([self.secret is not None, self.generate_secret, self.remove_secret]) > 1:
            raise ValueError("give at most one of secret, generate_secret and remove_secret")
        return self


def settings_view(org: Organization, now: datetime) -> dict[str, Any]:
    previous_until = org.webhook_previous_secret_until
    overlapping = org.webhook_previous_secret is not None and previous_until is not None
    return {
        "secret": org.webhook_secret,
        "send_plaintext_header": org.webhook_plaintext_header,
        "previous_secret_expires_at": previous_until.isoformat()
        if overlapping and previous_until and previous_until > now
        else None,
        "active_secrets": len(signing_secrets(org, now)),
    }


def update_settings(org: Organization, change: WebhookSettingsUpdate) -> None:
    if change.secret is not None:
        org.webhook_secret = change.secret
    elif change.generate_secret:
        org.webhook_secret = generate_secret()
    elif change.remove_secret:
        org.webhook_secret = None
        org.webhook_previous_secret = org.webhook_previous_secret_until = None
    if change.send_plaintext_header is not None:
        org.webhook_plaintext_header = change.send_plaintext_header


def rotate(org: Organization, now: datetime) -> None:
    """A new generated secret; the current one (if any) keeps signing for the overlap."""
    if org.webhook_secret is not None:
        org.webhook_previous_secret = org.webhook_secret
        org.webhook_previous_secret_until = now + ROTATION_OVERLAP
    org.webhook_secret = generate_secret()


def signing_secrets(org: SecretColumns, now: datetime, default: str | None = None) -> list[str]:
    """The secrets that sign a delivery made at ``now``: current first, then previous."""
    current = org.webhook_secret or default
    secrets = [current] if current else []
    until = org.webhook_previous_secret_until
    if org.webhook_previous_secret and until is not None and until > now:
        secrets.append(org.webhook_previous_secret)
    return secrets


def plaintext_secret(org: SecretColumns, default: str | None = None) -> str | None:
    """The value of ``X-Mosaic-Signature``, or ``None`` when it must not be sent."""
    if not org.webhook_plaintext_header:
        return None
    return org.webhook_secret or default
