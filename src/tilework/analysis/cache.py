"""A JSON cache of analysis results keyed by the analysed file's content hash.

The key is ``sha256(file) + kind + version`` (+ ``part`` for analyses stored in pieces, such as
the faces of one chunk of the source's time line): renaming or re-uploading the same bytes hits
the cache, editing the file misses it, and bumping ``version`` when an analysis changes
invalidates old answers. Entries are written to a temporary file and renamed, so a crash never
leaves a half-written entry and concurrent workers computing the same answer just overwrite each
other. Within one process, a second caller asking for an answer being computed waits for it
instead of computing it again (an analysis started ahead of the tile that needs it,
``engine/prefetch.py``).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

_CHUNK = 1024 * 1024
_hash_memo: dict[tuple[str, int, int], str] = {}
_memo_lock = threading.Lock()
_computing: dict[Path, threading.Lock] = {}  # entry -> held while this process computes it


def content_hash(path: Path) -> str:
    """sha256 of the file, remembered per (path, size, mtime) so one process hashes it once."""
    stat = path.stat()
    memo_key = (str(path.absolute()), stat.st_size, stat.st_mtime_ns)
    with _memo_lock:
        if memo_key in _hash_memo:
            return _hash_memo[memo_key]
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    value = digest.hexdigest()
    with _memo_lock:
        _hash_memo[memo_key] = value
    return value


class AnalysisCache:
    def __init__(self, root: Path) -> None:
        self.root = root

    def entry_path(self, path: Path, kind: str, version: str, part: str | None = None) -> Path:
        digest = content_hash(path)
        piece = f".{part}" if part is not None else ""
        return self.root / digest[:2] / f"{digest}.{kind}.{version}{piece}.json"

    def get(self, path: Path, kind: str, version: str, part: str | None = None) -> Any | None:
        entry = self.entry_path(path, kind, version, part)
        try:
            return json.loads(entry.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def put(self, path: Path, kind: str, version: str, value: Any, part: str | None = None) -> None:
        entry = self.entry_path(path, kind, version, part)
        entry.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=entry.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(value, handle)
        os.replace(tmp, entry)

    def get_or_compute(
        self, path: Path, kind: str, version: str, compute: Callable[[], Any]
    ) -> Any:
        cached = self.get(path, kind, version)
        if cached is not None:
            return cached
        entry = self.entry_path(path, kind, version)
        with _memo_lock:
            computing = _computing.setdefault(entry, threading.Lock())
        try:
            with computing:  # a caller that came first computes; the others then read its answer
                cached = self.get(path, kind, version)
                if cached is not None:
                    return cached
                value = compute()
                self.put(path, kind, version, value)
                return value
        finally:
            with _memo_lock:
                if not computing.locked():
                    _computing.pop(entry, None)
