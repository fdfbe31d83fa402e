"""Webhook secret settings and rotation: which secrets sign, and when the old one stops."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from tilework.db.tables import Organization
from tilework.webhooks.secrets import (
    ROTATION_OVERLAP,
    WebhookSettingsUpdate,
    plaintext_secret,
    rotate,
    settings_view,
    signing_secrets,
    update_settings,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def org(secret: str | None = None) -> Organization:
    return Organization(name="o", slug="o", webhook_secret=secret, webhook_plaintext_header=True)


def test_no_secret_signs_nothing_unless_a_default_is_configured() -> None:
    assert signing_secrets(org(), NOW) == []
    assert signing_secrets(org(), NOW, default="server-wide") == ["server-wide"]


def test_generate_gives_a_whsec_secret() -> None:
    target = org()
    update_settings(target, WebhookSettingsUpdate(generate_secret=True))
    assert target.webhook_secret is not None and target.webhook_secret.startswith("whsec_")


def test_rotation_keeps_the_old_secret_signing_for_the_overlap() -> None:
    target = org("old-secret-1")
    rotate(target, NOW)
    new = target.webhook_secret
    assert new is not None and new != "old-secret-1"
    assert signing_secrets(target, NOW + timedelta(hours=23)) == [new, "old-secret-1"]
    assert signing_secrets(target, NOW + ROTATION_OVERLAP + timedelta(seconds=1)) == [new]
    view = settings_view(target, NOW)
    assert view["active_secrets"] == 2 and view["previous_secret_expires_at"]


def test_plaintext_header_can_be_turned_off() -> None:
    target = org("secret-123")
    assert plaintext_secret(target) == "secret-123"
    update_settings(target, WebhookSettingsUpdate(send_plaintext_header=False))
    assert plaintext_secret(target) is None
    assert signing_secrets(target, NOW) == ["secret-123"]  # signatures still go out


def test_remove_clears_current_and_previous() -> None:
    target = org("secret-123")
    rotate(target, NOW)
    update_settings(target, WebhookSettingsUpdate(remove_secret=True))
    assert signing_secrets(target, NOW) == []


@pytest.mark.parametrize(
    "body",
    [
        {"secret": "short"},
        {"secret": "long-enough-secret", "generate_secret": True},
        {"unknown": 1},
    ],
)
def test_bad_updates_are_refused(body: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        WebhookSettingsUpdate.model_validate(body)
