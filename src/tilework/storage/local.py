"""Blobs as files under one root directory, written atomically (temp file, then rename).

Readers never see half-written blobs: every write goes to a hidden temp file in the target's
directory (same filesystem, so ``os.replace`` is atomic) and is renamed into place at the end.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from tilework.errors import NotFoundError, ValidationError
from tilework.storage.base import BlobStore, StorageUnavailable

__all__ = ["BlobStore", "LocalBlobStore"]

_TEMP_PREFIX = ".tmp-"


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def path(self, key: str) -> Path:
        return self.root.joinpath(*_key_parts(key))

    def put_file(self, key: str, src: Path, *, move: bool = False) -> int:
        dest = self._prepare(key)
        if move:
            try:
                os.replace(src, dest)
                return dest.stat().st_size
            except OSError:
                pass  # another filesystem: fall back to copy-then-rename
        with self.open_write(key) as out, src.open("rb") as source:
            shutil.copyfileobj(source, out, 1024 * 1024)
        if move:
            src.unlink()
        return dest.stat().st_size

    @contextlib.contextmanager
    def open_write(self, key: str) -> Iterator[BinaryIO]:
        dest = self._prepare(key)
        fd, temp_name = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=dest.parent)
        temp = Path(temp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                yield out
            os.replace(temp, dest)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def size(self, key: str) -> int:
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError:
            raise NotFoundError(f"blob {key} not found") from None

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def remote_url(self, key: str) -> str | None:
        return None

    def upload_form(
        self, key: str, *, max_bytes: int, ttl_seconds: int
    ) -> tuple[str, dict[str, str]] | None:
        return None

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageUnavailable(f"cannot use {self.root}: {exc.strerror}") from exc

    def _prepare(self, key: str) -> Path:
        dest = self.path(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        return dest


def _key_parts(key: str) -> tuple[str, ...]:
    """Split a key into path parts, refusing anything that could leave the root."""
    if not key or "\\" in key or "\x00" in key:
        raise ValidationError(f"invalid blob key {key!r}")
    # Split by hand: PurePosixPath would quietly collapse "a//b" and "a/./b".
    parts = tuple(key.split("/"))
    if any(part in ("", ".", "..") for part in parts) or parts[-1].startswith(_TEMP_PREFIX):
        raise ValidationError(f"invalid blob key {key!r}")
    return parts
