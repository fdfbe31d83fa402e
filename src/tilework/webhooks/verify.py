"""Sign and verify webhook deliveries (Standard Webhooks), through the reference implementation.

Every delivery carries ``webhook-id``, ``webhook-timestamp`` (unix seconds) and
``webhook-signature``: space-separated ``v1,<base64 HMAC-SHA256>`` entries, one per active secret,
each over ``f"{id}.{timestamp}.".encode() + body``. The HMAC, the comparison and the timestamp
tolerance are the ``standardwebhooks`` package's (the reference implementation, no dependencies
of its own); ``Webhook`` is a thin face over it that adds what a Tilework receiver needs:

- secrets as Tilework hands them out: ``whsec_<base64 key>`` (``generate_secret``) or any other
  string, whose UTF-8 bytes are then the key (Mosaic lets an organization pick a plain secret;
  the reference would base64-decode it);
- one exception per way a delivery can fail, each saying what was wrong (a missing header by
  name, a timestamp that is not an integer or too old/new, no matching signature, a body that
  is not JSON), all ``WebhookVerificationError``.

A receiver checks a delivery in one line::

    payload = Webhook(secret).verify(raw_body, request_headers)

``verify_plaintext`` checks Mosaic's older ``X-Mosaic-Signature`` header, which carries the
secret itself.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from secrets import token_bytes
from typing import Any

import standardwebhooks

__all__ = [
    "TOLERANCE_SECONDS",
    "InvalidSignatureError",
    "InvalidTimestampError",
    "MissingHeaderError",
    "TimestampOutOfRangeError",
    "Webhook",
    "WebhookVerificationError",
    "generate_secret",
    "signature_header",
    "verify_plaintext",
]

TOLERANCE_SECONDS = 5 * 60  # the reference's tolerance: webhook-timestamp vs the receiver's clock
_PREFIX = "whsec_"


class WebhookVerificationError(Exception):
    """The delivery cannot be trusted; the message says why."""


class MissingHeaderError(WebhookVerificationError):
    def __init__(self, header: str) -> None:
        super().__init__(f"missing {header} header")
        self.header = header


class InvalidSignatureError(WebhookVerificationError):
    def __init__(self) -> None:
        super().__init__("no webhook-signature entry matches this secret and body")


class InvalidTimestampError(WebhookVerificationError):
    def __init__(self, value: str) -> None:
        super().__init__(f"webhook-timestamp is not an integer: {value!r}")


class TimestampOutOfRangeError(WebhookVerificationError):
    def __init__(self, timestamp: int, now: int) -> None:
        when = "too old" if timestamp < now else "too new"
        super().__init__(
            f"webhook-timestamp is {when}: {abs(now - timestamp)} s from now, "
            f"more than the {TOLERANCE_SECONDS} s tolerance"
        )
        self.timestamp, self.now = timestamp, now


class Webhook:
    """Signs and verifies deliveries with one secret (``whsec_<base64>`` or a plain string)."""

    def __init__(self, secret: str | bytes) -> None:
        key = _key(secret)
        if not key:
            raise ValueError("the webhook secret must not be empty")
        self._reference = standardwebhooks.Webhook(key)

    def sign(self, msg_id: str, timestamp: int, body: bytes) -> str:
        """``v1,<signature>`` of ``body`` sent as message ``msg_id`` at ``timestamp``."""
        return self._reference.sign(msg_id, datetime.fromtimestamp(timestamp, UTC), body)

    def verify(self, body: bytes, headers: Mapping[str, str]) -> Any:
        """The parsed JSON ``body`` if ``headers`` sign it; raises ``WebhookVerificationError``.

        The headers and the timestamp are checked here first, so each failure says what was
        wrong; the signature (and the tolerance, again) is the reference implementation's."""
        lowered = _signature_headers(headers)
        _check_timestamp(lowered["webhook-timestamp"], int(time.time()))
        try:
            self._reference.verify(body, lowered, json_parse=False)
        except standardwebhooks.WebhookVerificationError as exc:
            raise InvalidSignatureError() from exc
        try:
            return json.loads(body)
        except ValueError as exc:
            raise WebhookVerificationError(f"the body is not JSON: {exc}") from None


def generate_secret() -> str:
    """A new random secret: ``whsec_`` + base64 of 24 random bytes."""
    return _PREFIX + base64.b64encode(token_bytes(24)).decode()


def signature_header(
    secrets: Sequence[str | bytes], msg_id: str, timestamp: int, body: bytes
) -> str:
    """The ``webhook-signature`` value: one ``v1,`` entry per active secret, space separated."""
    if not secrets:
        raise ValueError("signature_header needs at least one secret")
    return " ".join(_signer(secret).sign(msg_id, timestamp, body) for secret in secrets)


def verify_plaintext(expected: str, header_value: str | None) -> bool:
    """Whether Mosaic's ``X-Mosaic-Signature`` header equals the secret (constant time)."""
    if not expected or header_value is None:
        return False
    return hmac.compare_digest(expected.encode(), header_value.encode())


@lru_cache(maxsize=256)
def _signer(secret: str | bytes) -> Webhook:
    """The sender signs thousands of deliveries a second with a few secrets: decode each once."""
    return Webhook(secret)


def _key(secret: str | bytes) -> bytes:
    if isinstance(secret, bytes):
        return secret
    if not secret.startswith(_PREFIX):
        return secret.encode()
    try:
        return base64.b64decode(secret.removeprefix(_PREFIX), validate=True)
    except binascii.Error as exc:
        raise ValueError(f"the part after {_PREFIX} is not valid base64: {exc}") from None


def _signature_headers(headers: Mapping[str, str]) -> dict[str, str]:
    lowered = {name.lower(): value for name, value in headers.items()}
    found = {}
    for name in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        value = lowered.get(name, "").strip()
        if not value:
            raise MissingHeaderError(name)
        found[name] = value
    return found


def _check_timestamp(stamp: str, now: int) -> None:
    if not (stamp.isascii() and stamp.isdigit()):  # the reference would take "1e9" or "+1"
        raise InvalidTimestampError(stamp)
    timestamp = int(stamp)
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise TimestampOutOfRangeError(timestamp, now)
