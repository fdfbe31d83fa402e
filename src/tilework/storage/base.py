"""The blob store seam: where media bytes live, addressed by relative keys (``uploads/<id>/x``).

The engine and the API talk to this protocol only; ``LocalBlobStore`` keeps blobs under a
directory, and an S3-style store can sit behind the same methods. ``path`` hands out a local
path because ffmpeg reads files, not streams.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import BinaryIO, Protocol


class BlobStore(Protocol):
    def path(self, key: str) -> Path:
        """The local file behind ``key`` (refuses keys that would escape the store)."""

    def put_file(self, key: str, src: Path, *, move: bool = False) -> int:
        """Store ``src`` under ``key`` atomically; returns the size in bytes."""

    def open_write(self, key: str) -> AbstractContextManager[BinaryIO]:
        """A file to write ``key`` into; it appears under ``key`` only if the block succeeds."""

    def exists(self, key: str) -> bool: ...

    def size(self, key: str) -> int:
        """Size in bytes; ``NotFoundError`` for a missing blob."""

    def delete(self, key: str) -> None:
        """Remove ``key``; a missing blob is not an error."""
