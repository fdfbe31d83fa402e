"""The blob store seam: where media bytes live, addressed by relative keys (``uploads/<id>/x``).

The engine and the API talk to this protocol only; ``LocalBlobStore`` keeps blobs under a
directory, ``S3BlobStore`` in a bucket (with a local cache). ``path`` hands out a local path
because ffmpeg reads files, not streams: a remote store downloads the blob to its cache first
(workers "download inputs to scratch"), and every local path of a blob lies under ``root``.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import BinaryIO, Protocol


class BlobStore(Protocol):
    root: Path  # where the local files of blobs live: ``path(key)`` is ``root / key``

    def path(self, key: str) -> Path:
        """The local file behind ``key``, fetched first if the store is remote (refuses keys
        that would escape the store)."""

    def put_file(self, key: str, src: Path, *, move: bool = False) -> int:
        """Store ``src`` under ``key`` atomically; returns the size in bytes."""

    def open_write(self, key: str) -> AbstractContextManager[BinaryIO]:
        """A file to write ``key`` into; it appears under ``key`` only if the block succeeds."""

    def exists(self, key: str) -> bool: ...

    def size(self, key: str) -> int:
        """Size in bytes; ``NotFoundError`` for a missing blob."""

    def delete(self, key: str) -> None:
        """Remove ``key``; a missing blob is not an error."""

    def remote_url(self, key: str) -> str | None:
        """A short-lived URL ffmpeg can read ``key`` from without copying all of it (range
        requests), or ``None`` when the blob is a local file."""

    def upload_form(
        self, key: str, *, max_bytes: int, ttl_seconds: int
    ) -> tuple[str, dict[str, str]] | None:
        """Where clients post a file for ``key`` directly (URL and form fields, the size limit
        in the signed policy), or ``None``: they post it to Tilework's own form endpoint."""

    def check(self) -> None:
        """Raise ``StorageUnavailable`` (one readable line) unless the store can be used."""


class BlobUrls(Protocol):
    """Signed download URLs of blobs: Tilework's own ``/files`` URLs, or presigned S3 GETs."""

    def sign(
        self, blob_key: str, *, ttl_seconds: int | None = None, filename: str | None = None
    ) -> str: ...


class StorageUnavailable(Exception):
    """The configured store cannot be used (no such bucket, no credentials, unreachable)."""
