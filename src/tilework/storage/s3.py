"""Blobs in an S3 bucket (AWS, MinIO, R2…) through boto3, with a local cache for ffmpeg.

Selected by ``TILEWORK_STORAGE_URL=s3://bucket/prefix``; boto3 is configured the standard AWS
way (``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
``AWS_DEFAULT_REGION``, or any other source boto3 reads). Object names are ``prefix/key``.

- Reads: ``path(key)`` downloads the object into the cache (``root``) once, atomically (a
  temp file renamed into place), and hands out the local file; blobs never change after they
  are written, so a cached copy never goes stale. Uploads (``put_file``) keep the local file in
  the cache too, so the worker that rendered a file does not download it again.
- Links: ``sign`` gives presigned GETs (SigV4, at most 7 days, its maximum); ``upload_form``
  gives presigned POSTs whose policy carries the size limit; ``remote_url`` gives ffprobe a
  one-hour presigned GET so the API can probe an upload without downloading it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import urlparse

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from tilework.errors import NotFoundError
from tilework.storage.base import StorageUnavailable
from tilework.storage.local import LocalBlobStore

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client
    from types_boto3_s3.type_defs import HeadObjectOutputTypeDef

MAX_PRESIGN_SECONDS = 7 * 24 * 3600  # SigV4's limit
PROBE_URL_SECONDS = 3600
_TEMP_PREFIX = ".tmp-"


def parse_storage_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` → (``bucket``, ``some/prefix/``)."""
    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"TILEWORK_STORAGE_URL must look like s3://bucket/prefix, not {url!r}")
    prefix = parsed.path.strip("/")
    return parsed.netloc, f"{prefix}/" if prefix else ""


class S3BlobStore:
    def __init__(self, url: str, cache_dir: Path, *, client: S3Client | None = None) -> None:
        self.bucket, self.prefix = parse_storage_url(url)
        self.root = cache_dir.resolve()
        # The cache shares the local store's key rules and atomic writes.
        self._cache = LocalBlobStore(self.root)
        try:
            self._s3: S3Client = client or boto3.client(
                "s3", config=Config(signature_version="s3v4", retries={"mode": "standard"})
            )
        except BotoCoreError as exc:  # no region, a malformed endpoint…
            raise StorageUnavailable(str(exc)) from None

    # --- the BlobStore protocol ----------------------------------------------------------------

    def path(self, key: str) -> Path:
        local = self._cache.path(key)
        if local.is_file():
            return local
        local.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=local.parent)
        os.close(fd)
        try:
            self._s3.download_file(self.bucket, self._name(key), temp_name)
            os.replace(temp_name, local)
        except ClientError as exc:
            Path(temp_name).unlink(missing_ok=True)
            if _status(exc) == 404:
                raise NotFoundError(f"blob {key} not found") from None
            raise
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        return local

    def put_file(self, key: str, src: Path, *, move: bool = False) -> int:
        self._s3.upload_file(str(src), self.bucket, self._name(key))
        size = src.stat().st_size
        # Keep a local copy: the files a worker writes are usually read again by it.
        self._cache.put_file(key, src, move=move)
        return size

    @contextlib.contextmanager
    def open_write(self, key: str) -> Iterator[BinaryIO]:
        with tempfile.TemporaryDirectory(dir=self._scratch()) as tmp:
            staged = Path(tmp) / "blob"
            with staged.open("wb") as out:
                yield out
            self.put_file(key, staged, move=True)

    def exists(self, key: str) -> bool:
        try:
            self._head(key)
        except NotFoundError:
            return False
        return True

    def size(self, key: str) -> int:
        return self._head(key)["ContentLength"]

    def delete(self, key: str) -> None:
        self._s3.delete_object(Bucket=self.bucket, Key=self._name(key))
        self._cache.delete(key)

    def remote_url(self, key: str) -> str | None:
        return self.sign(key, ttl_seconds=PROBE_URL_SECONDS)

    def upload_form(
        self, key: str, *, max_bytes: int, ttl_seconds: int
    ) -> tuple[str, dict[str, str]] | None:
        post = self._s3.generate_presigned_post(
            self.bucket,
            self._name(key),
            Conditions=[["content-length-range", 1, max_bytes]],
            ExpiresIn=min(ttl_seconds, MAX_PRESIGN_SECONDS),
        )
        return str(post["url"]), {name: str(value) for name, value in post["fields"].items()}

    def check(self) -> None:
        try:
            self._s3.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            status = _status(exc)
            if status == 404:
                raise StorageUnavailable(f"S3 bucket {self.bucket!r} does not exist") from None
            if status == 403:
                raise StorageUnavailable(
                    f"S3 bucket {self.bucket!r}: access denied (check AWS_ACCESS_KEY_ID and "
                    "AWS_SECRET_ACCESS_KEY)"
                ) from None
            raise StorageUnavailable(f"S3 bucket {self.bucket!r}: {exc}") from None
        except BotoCoreError as exc:
            raise StorageUnavailable(f"S3 bucket {self.bucket!r}: {exc}") from None
        self.root.mkdir(parents=True, exist_ok=True)

    # --- the BlobUrls protocol -----------------------------------------------------------------

    def sign(
        self, blob_key: str, *, ttl_seconds: int | None = None, filename: str | None = None
    ) -> str:
        params = {"Bucket": self.bucket, "Key": self._name(blob_key)}
        if filename:
            params["ResponseContentDisposition"] = f'inline; filename="{_quoted(filename)}"'
        expires = MAX_PRESIGN_SECONDS if ttl_seconds is None else ttl_seconds
        return str(
            self._s3.generate_presigned_url(
                "get_object", Params=params, ExpiresIn=min(expires, MAX_PRESIGN_SECONDS)
            )
        )

    # --- helpers -------------------------------------------------------------------------------

    def _name(self, key: str) -> str:
        self._cache.path(key)  # the same key rules as the local store (no "..", no empty parts)
        return f"{self.prefix}{key}"

    def _head(self, key: str) -> HeadObjectOutputTypeDef:
        try:
            return self._s3.head_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as exc:
            if _status(exc) == 404:
                raise NotFoundError(f"blob {key} not found") from None
            raise

    def _scratch(self) -> Path:
        scratch = self.root / ".scratch"
        scratch.mkdir(parents=True, exist_ok=True)
        return scratch


def _status(exc: ClientError) -> int:
    meta = exc.response.get("ResponseMetadata", {})
    code = exc.response.get("Error", {}).get("Code", "")
    if code in ("404", "NoSuchKey", "NoSuchBucket", "NotFound"):
        return 404
    return int(meta.get("HTTPStatusCode", 0) or 0)


def _quoted(filename: str) -> str:
    return "".join(ch for ch in filename if ch.isprintable() and ch not in '"\\')
