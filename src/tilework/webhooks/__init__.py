"""Run lifecycle events on the wire: payload models, the outbox sender and the SSE stream.

``Webhook`` (from ``verify``) is the receivers' signer and verifier; ``events`` holds one
pydantic model per webhook event (the contract of
``shared/spec/webhooks.md``); ``sender`` delivers outbox rows (``WebhookEvent``) to callback
URLs; ``stream`` replays and follows the same rows for ``GET /agent_run/{run_id}/events``.
"""

from tilework.webhooks.verify import (
    InvalidSignatureError,
    InvalidTimestampError,
    MissingHeaderError,
    TimestampOutOfRangeError,
    Webhook,
    WebhookVerificationError,
    generate_secret,
    verify_plaintext,
)

__all__ = [
    "InvalidSignatureError",
    "InvalidTimestampError",
    "MissingHeaderError",
    "TimestampOutOfRangeError",
    "Webhook",
    "WebhookVerificationError",
    "generate_secret",
    "verify_plaintext",
]
