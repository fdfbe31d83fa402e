"""The Standard Webhooks verifier (a face over the reference implementation): a round trip, the
signature's exact bytes, then one test per way ``verify`` can fail. Timestamps are relative to
the real clock, as the reference reads it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime

import pytest
import standardwebhooks

from tilework.webhooks.verify import (
    TOLERANCE_SECONDS,
    InvalidSignatureError,
    InvalidTimestampError,
    MissingHeaderError,
    TimestampOutOfRangeError,
    Webhook,
    WebhookVerificationError,
    generate_secret,
    signature_header,
    verify_plaintext,
)

KEY = b"0123456789abcdef0123456789abcdef"
SECRET = "whsec_" + base64.b64encode(KEY).decode()
NOW = 1_700_000_000  # for signatures only; verification reads the real clock (see now())
MARGIN = 30  # seconds kept from the tolerance's edge: the clock moves while the tests run
MSG_ID = "evt_2b9c"
BODY = json.dumps({"flag": "RUN_STARTED", "run_id": "r-1", "note": "é"}).encode()


def now() -> int:
    return int(time.time())


def signed_headers(
    secret: str = SECRET, *, timestamp: int | None = None, body: bytes = BODY
) -> dict[str, str]:
    """Headers signing ``body`` at ``timestamp`` (default: the moment of the call)."""
    timestamp = now() if timestamp is None else timestamp
    return {
        "webhook-id": MSG_ID,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": Webhook(secret).sign(MSG_ID, timestamp, body),
    }


def test_round_trip_returns_the_parsed_body() -> None:
    assert Webhook(SECRET).verify(BODY, signed_headers()) == json.loads(BODY)


def test_sign_is_hmac_sha256_of_id_timestamp_body_under_the_decoded_key() -> None:
    digest = hmac.new(KEY, f"{MSG_ID}.{NOW}.".encode() + BODY, hashlib.sha256).digest()
    assert Webhook(SECRET).sign(MSG_ID, NOW, BODY) == "v1," + base64.b64encode(digest).decode()


def test_a_raw_string_secret_is_used_as_utf8_bytes() -> None:
    assert Webhook("plain-sécret").sign(MSG_ID, NOW, BODY) == Webhook("plain-sécret".encode()).sign(
        MSG_ID, NOW, BODY
    )
    assert Webhook("plain").sign(MSG_ID, NOW, BODY) != Webhook(SECRET).sign(MSG_ID, NOW, BODY)


def test_a_malformed_whsec_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="base64"):
        Webhook("whsec_not*base64")


def test_header_names_are_case_insensitive() -> None:
    headers = {name.title(): value for name, value in signed_headers().items()}
    assert Webhook(SECRET).verify(BODY, headers)["run_id"] == "r-1"


def test_the_timestamp_may_be_off_by_nearly_the_tolerance_either_way() -> None:
    for skew in (-TOLERANCE_SECONDS + MARGIN, TOLERANCE_SECONDS - MARGIN):
        stamp = now() + skew
        Webhook(SECRET).verify(BODY, signed_headers(timestamp=stamp))


@pytest.mark.parametrize("header", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_header_is_named(header: str) -> None:
    headers = signed_headers()
    del headers[header]
    with pytest.raises(MissingHeaderError, match=header) as caught:
        Webhook(SECRET).verify(BODY, headers)
    assert caught.value.header == header


def test_a_bad_signature_fails() -> None:
    headers = signed_headers() | {"webhook-signature": "v1," + base64.b64encode(b"x" * 32).decode()}
    with pytest.raises(InvalidSignatureError):
        Webhook(SECRET).verify(BODY, headers)


def test_a_tampered_body_fails() -> None:
    tampered = BODY.replace(b"r-1", b"r-2")
    with pytest.raises(InvalidSignatureError):
        Webhook(SECRET).verify(tampered, signed_headers())


def test_a_timestamp_too_old_fails() -> None:
    stamp = now() - TOLERANCE_SECONDS - MARGIN
    with pytest.raises(TimestampOutOfRangeError, match="too old"):
        Webhook(SECRET).verify(BODY, signed_headers(timestamp=stamp))


def test_a_timestamp_too_new_fails() -> None:
    stamp = now() + TOLERANCE_SECONDS + MARGIN
    with pytest.raises(TimestampOutOfRangeError, match="too new"):
        Webhook(SECRET).verify(BODY, signed_headers(timestamp=stamp))


@pytest.mark.parametrize("stamp", ["soon", "1700000000.5", "+1700000000", "1_700_000_000"])
def test_a_non_integer_timestamp_fails(stamp: str) -> None:
    headers = signed_headers() | {"webhook-timestamp": stamp}
    with pytest.raises(InvalidTimestampError, match="not an integer"):
        Webhook(SECRET).verify(BODY, headers)


def test_a_signature_made_with_another_secret_fails() -> None:
    with pytest.raises(InvalidSignatureError):
        Webhook(SECRET).verify(BODY, signed_headers(generate_secret()))


def test_a_signature_of_another_version_is_ignored() -> None:
    good = signed_headers()["webhook-signature"]
    headers = signed_headers() | {"webhook-signature": good.replace("v1,", "v1a,")}
    with pytest.raises(InvalidSignatureError):
        Webhook(SECRET).verify(BODY, headers)


def test_a_signed_body_that_is_not_json_fails() -> None:
    with pytest.raises(WebhookVerificationError, match="not JSON"):
        Webhook(SECRET).verify(b"<xml/>", signed_headers(body=b"<xml/>"))


def test_every_failure_is_a_webhook_verification_error() -> None:
    for error in (
        MissingHeaderError,
        InvalidSignatureError,
        TimestampOutOfRangeError,
        InvalidTimestampError,
    ):
        assert issubclass(error, WebhookVerificationError)


def test_one_matching_signature_among_several_is_enough() -> None:
    old, new = generate_secret(), SECRET
    stamp = now()
    header = signature_header([old, new], MSG_ID, stamp, BODY)
    entries = header.split(" ")
    assert len(entries) == 2 and all(entry.startswith("v1,") for entry in entries)
    headers = signed_headers(timestamp=stamp) | {"webhook-signature": header}
    assert Webhook(new).verify(BODY, headers) == json.loads(BODY)
    assert Webhook(old).verify(BODY, headers) == json.loads(BODY)


def test_signature_header_needs_a_secret() -> None:
    with pytest.raises(ValueError):
        signature_header([], MSG_ID, NOW, BODY)


def test_generate_secret_is_whsec_and_24_random_bytes() -> None:
    secret = generate_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 24
    assert generate_secret() != secret


def test_plaintext_check() -> None:
    assert verify_plaintext("s3cret", "s3cret")
    assert not verify_plaintext("s3cret", "s3cre")
    assert not verify_plaintext("s3cret", None)
    assert not verify_plaintext("", "")  # no secret configured: nothing can match


def test_signatures_are_the_reference_implementations() -> None:
    """Our face signs exactly as ``standardwebhooks`` does with the same key, and the reference
    verifies what we send (so a receiver using any Standard Webhooks library accepts it)."""
    reference = standardwebhooks.Webhook(SECRET)
    when = datetime.fromtimestamp(NOW, UTC)
    assert Webhook(SECRET).sign(MSG_ID, NOW, BODY) == reference.sign(MSG_ID, when, BODY)
    assert reference.verify(BODY, signed_headers()) == json.loads(BODY)


def test_an_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        Webhook("")
