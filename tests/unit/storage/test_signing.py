"""One test per way a signed URL or signed form can be refused."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qs, urlsplit

import pytest

from tilework.errors import ForbiddenError
from tilework.storage.signing import UrlSigner

KEY = b"k" * 32


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def signer(clock: Clock) -> UrlSigner:
    return UrlSigner(KEY, "https://media.example/", 3600, clock=clock)


def parts(url: str) -> tuple[str, str, str]:
    split = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(split.query).items()}
    return split.path, query["expires"], query["signature"]


def test_signed_url_shape_and_verification(signer: UrlSigner) -> None:
    url = signer.sign("renders/a b/video.mp4", filename="out.mp4")
    assert url.startswith("https://media.example/files/renders/a%20b/video.mp4?expires=1700003600&")
    assert "filename=out.mp4" in url
    _, expires, signature = parts(url)
    assert len(signature) == 64
    signer.verify("renders/a b/video.mp4", expires, signature)
    signer.verify("renders/a b/video.mp4", int(expires), signature.upper())


def test_expired_url_is_refused(signer: UrlSigner, clock: Clock) -> None:
    _, expires, signature = parts(signer.sign("k", ttl_seconds=10))
    clock.now += 11
    with pytest.raises(ForbiddenError, match="expired"):
        signer.verify("k", expires, signature)


def test_tampered_signature_expiry_or_key_is_refused(signer: UrlSigner) -> None:
    _, expires, signature = parts(signer.sign("k"))
    for key, when, sig in [
        ("k", expires, "0" * 64),
        ("k", str(int(expires) + 1), signature),
        ("other", expires, signature),
        ("k", "soon", signature),
        ("k", expires, ""),
        ("k", expires, "é" * 64),
    ]:
        with pytest.raises(ForbiddenError):
            signer.verify(key, when, sig)


def test_another_key_does_not_verify(signer: UrlSigner, clock: Clock) -> None:
    _, expires, signature = parts(signer.sign("k"))
    with pytest.raises(ForbiddenError):
        UrlSigner(b"x" * 32, "https://media.example", 3600, clock=clock).verify(
            "k", expires, signature
        )


def test_form_fields_are_bound_to_purpose_and_value(signer: UrlSigner, clock: Clock) -> None:
    expires = signer.expiry(60)
    signature = signer.sign_fields("upload", "id:key", expires)
    signer.verify_fields("upload", "id:key", str(expires), signature)
    with pytest.raises(ForbiddenError):
        signer.verify_fields("upload", "id:other", expires, signature)
    with pytest.raises(ForbiddenError):
        signer.verify_fields("download", "id:key", expires, signature)
    clock.now += 61
    with pytest.raises(ForbiddenError, match="expired"):
        signer.verify_fields("upload", "id:key", expires, signature)


def test_a_form_signature_never_passes_as_a_url_signature(signer: UrlSigner) -> None:
    expires = signer.expiry(60)
    forged = signer.sign_fields("/files/k", "", expires)  # even with a path-like purpose
    with pytest.raises(ForbiddenError):
        signer.verify("k", expires, forged)


def test_an_empty_key_is_refused() -> None:
    with pytest.raises(ValueError):
        UrlSigner(b"", "http://x", 1)


def test_a_url_is_bound_to_its_method(signer: UrlSigner) -> None:
    _, expires, signature = parts(signer.sign("k"))
    signer.verify("k", expires, signature, method="HEAD")  # a GET without the body
    for method in ("PUT", "POST", "DELETE"):
        with pytest.raises(ForbiddenError):
            signer.verify("k", expires, signature, method=method)
    _, put_expires, put_signature = parts(signer.sign("k", method="PUT"))
    signer.verify("k", put_expires, put_signature, method="put")
    with pytest.raises(ForbiddenError):
        signer.verify("k", put_expires, put_signature)  # an upload URL does not download


def test_urls_signed_before_method_binding_still_download_until_they_expire(
    signer: UrlSigner, clock: Clock
) -> None:
    expires = str(int(clock.now) + 60)
    legacy = hmac.new(KEY, f"/files/k\n{expires}".encode(), hashlib.sha256).hexdigest()
    signer.verify("k", expires, legacy)
    signer.verify("k", expires, legacy, method="HEAD")
    with pytest.raises(ForbiddenError):
        signer.verify("k", expires, legacy, method="PUT")
    clock.now += 61
    with pytest.raises(ForbiddenError, match="expired"):
        signer.verify("k", expires, legacy)
