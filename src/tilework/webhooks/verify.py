"""Verify (and sign) webhook deliveries: the Standard Webhooks scheme, for receivers.

Every delivery carries ``webhook-id``, ``webhook-timestamp`` (unix seconds) and
``webhook-signature``: space-separated ``v1,<base64 HMAC-SHA256>`` entries, one per active secret,
each over ``f"{id}.{timestamp}.".encode() + body``. A receiver checks it in one line::

    payload = Webhook(secret).verify(raw_body, request_headers)

which returns the parsed JSON body or raises a ``WebhookVerificationError`` subclass saying what
was wrong. Secrets are ``whsec_<base64 key>`` (as ``generate_secret`` makes them) or any other
string, whose UTF-8 bytes are then the key. ``verify_plaintext`` checks Mosaic's older
``X-Mosaic-Signature`` header, which carries the secret itself.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping, Sequence
from secrets import token_bytes
from typing import Any

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

TOLERANCE_SECONDS = 5 * 60  # how far webhook-timestamp may be from the receiver's clock
_PREFIX = "whsec_"
_VERSION = "v1"


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
        self._key = _key(secret)

    def sign(self, msg_id: str, timestamp: int, body: bytes) -> str:
        """``v1,<signature>`` of ``body`` sent as message ``msg_id`` at ``timestamp``."""
        signed = f"{msg_id}.{timestamp}.".encode() + body
        digest = hmac.new(self._key, signed, hashlib.sha256).digest()
        return f"{_VERSION},{base64.b64encode(digest).decode()}"

    def verify(self, body: bytes, headers: Mapping[str, str], *, now: float | None = None) -> Any:
        """The parsed JSON ``body`` if ``headers`` sign it; raises ``WebhookVerificationError``.

        ``now`` (unix seconds) stands in for the clock, for tests.
        """
        msg_id, stamp, signatures = _signature_headers(headers)
        timestamp = _checked_timestamp(stamp, int(time.time() if now is None else now))
        expected = self.sign(msg_id, timestamp, body).partition(",")[2].encode()
        if not any(hmac.compare_digest(expected, given) for given in _v1_entries(signatures)):
            raise InvalidSignatureError()
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
    return " ".join(Webhook(secret).sign(msg_id, timestamp, body) for secret in secrets)


def verify_plaintext(expected: str, header_value: str | None) -> bool:
    """Whether Mosaic's ``X-Mosaic-Signature`` header equals the secret (constant time)."""
    if not expected or header_value is None:
        return False
    return hmac.compare_digest(expected.encode(), header_value.encode())


def _key(secret: str | bytes) -> bytes:
    if isinstance(secret, bytes):
        return secret
    if not secret.startswith(_PREFIX):
        return secret.encode()
    try:
        return base64.b64decode(secret.removeprefix(_PREFIX), validate=True)
    except binascii.Error as exc:
        raise ValueError(f"the part after {_PREFIX} is not valid base64: {exc}") from None


def _signature_headers(headers: Mapping[str, str]) -> tuple[str, str, str]:
    lowered = {name.lower(): value for name, value in headers.items()}
    found = []
    for name in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        value = lowered.get(name, "").strip()
        if not value:
            raise MissingHeaderError(name)
        found.append(value)
    msg_id, stamp, signatures = found
    return msg_id, stamp, signatures


def _checked_timestamp(stamp: str, now: int) -> int:
    if not (stamp.isascii() and stamp.isdigit()):  # int() would also take "+1", "1_0", "٣"
        raise InvalidTimestampError(stamp)
    timestamp = int(stamp)
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise TimestampOutOfRangeError(timestamp, now)
    return timestamp


def _v1_entries(signatures: str) -> list[bytes]:
    """The signatures of the ``v1,`` entries; entries of other versions are skipped."""
    entries = (entry.partition(",") for entry in signatures.split())
    return [sig.encode() for version, comma, sig in entries if version == _VERSION and comma]
