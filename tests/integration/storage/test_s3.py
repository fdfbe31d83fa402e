"""``S3BlobStore`` against moto's S3 server on 127.0.0.1: blobs, the local cache, presigned GETs
and POSTs (the size limit in the policy), and a clear error for a missing bucket."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from tests.support.s3 import S3Server
from tilework.errors import NotFoundError
from tilework.storage.base import StorageUnavailable
from tilework.storage.s3 import MAX_PRESIGN_SECONDS, S3BlobStore


def test_blobs_round_trip_through_the_bucket(s3_bucket: str, tmp_path: Path) -> None:
    writer = S3BlobStore(s3_bucket, tmp_path / "writer")
    src = tmp_path / "clip.mp4"
    src.write_bytes(b"x" * 1000)
    assert writer.put_file("renders/r1/video.mp4", src, move=True) == 1000
    assert not src.exists() and writer.path("renders/r1/video.mp4").read_bytes() == b"x" * 1000
    with writer.open_write("uploads/u1/source") as out:
        out.write(b"hello")
    reader = S3BlobStore(s3_bucket, tmp_path / "reader")  # another machine: an empty cache
    assert reader.exists("uploads/u1/source") and reader.size("uploads/u1/source") == 5
    local = reader.path("uploads/u1/source")
    assert local.read_bytes() == b"hello" and local.is_relative_to(reader.root)
    reader.delete("uploads/u1/source")
    assert not reader.exists("uploads/u1/source")
    assert not writer.exists("uploads/u1/source")  # the object is gone for everyone
    with pytest.raises(NotFoundError):
        reader.size("uploads/u1/source")
    with pytest.raises(NotFoundError):
        S3BlobStore(s3_bucket, tmp_path / "third").path("uploads/u1/source")
    assert list((tmp_path / "third").rglob(".tmp-*")) == []  # no half-written cache file


def test_signed_get_is_a_seven_day_sigv4_url(s3_bucket: str, tmp_path: Path) -> None:
    store = S3BlobStore(s3_bucket, tmp_path / "cache")
    with store.open_write("renders/r1/thumbnail.jpg") as out:
        out.write(b"jpeg")
    url = store.sign("renders/r1/thumbnail.jpg", filename="thumb.jpg")
    query = parse_qs(urlparse(url).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == [str(MAX_PRESIGN_SECONDS)]
    assert "thumb.jpg" in query["response-content-disposition"][0]  # S3 answers with it
    response = httpx.get(url)
    assert response.status_code == 200 and response.content == b"jpeg"
    longer = parse_qs(urlparse(store.sign("renders/r1/thumbnail.jpg", ttl_seconds=10**8)).query)
    assert longer["X-Amz-Expires"] == [str(MAX_PRESIGN_SECONDS)]  # capped at SigV4's maximum


def test_upload_form_is_a_presigned_post_with_the_size_limit(
    s3_bucket: str, tmp_path: Path
) -> None:
    store = S3BlobStore(s3_bucket, tmp_path / "cache")
    form = store.upload_form("uploads/u2/source", max_bytes=1234, ttl_seconds=600)
    assert form is not None
    url, fields = form
    policy = json.loads(base64.b64decode(fields["policy"]))
    assert ["content-length-range", 1, 1234] in policy["conditions"]
    assert fields["key"] == "tilework/uploads/u2/source"
    posted = httpx.post(url, data=fields, files={"file": ("clip.mp4", b"video bytes")})
    assert posted.status_code in (200, 204), posted.text
    assert store.size("uploads/u2/source") == len(b"video bytes")


def test_a_missing_bucket_is_one_clear_error(s3_server: S3Server, tmp_path: Path) -> None:
    client = s3_server.client()
    store = S3BlobStore("s3://tw-no-such-bucket/x", tmp_path, client=client)  # type: ignore[arg-type]
    with pytest.raises(StorageUnavailable, match="'tw-no-such-bucket' does not exist"):
        store.check()
