"""Downloads of signed file URLs (outputs, thumbnails, timelines, captions)."""

from __future__ import annotations

from pathlib import Path

from tilework.sdk._async import AsyncCore
from tilework.sdk._http import Progress
from tilework.sdk._sync import SyncCore


class Files:
    def __init__(self, core: SyncCore) -> None:
        self._core = core

    def download(self, url: str, dest: str | Path, *, on_progress: Progress | None = None) -> Path:
        """Save a signed URL to ``dest`` (written to ``dest.part`` first, renamed when whole);
        ``on_progress(received_bytes, total_bytes)``. The signature is the credential."""
        return self._core.download(url, Path(dest), on_progress)


class AsyncFiles:
    def __init__(self, core: AsyncCore) -> None:
        self._core = core

    async def download(
        self, url: str, dest: str | Path, *, on_progress: Progress | None = None
    ) -> Path:
        return await self._core.download(url, Path(dest), on_progress)
