"""Everything the engine needs from the outside world, passed in by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from tilework.billing.service import Billing
from tilework.config import Settings
from tilework.media.runner import FFmpegRunner
from tilework.net.guard import Resolver
from tilework.storage.base import BlobStore, BlobUrls
from tilework.tiles.registry import TileRegistry
from tilework.workers.port import Dispatcher


def _nothing() -> None:
    return None


@dataclass
class EngineContext:
    settings: Settings
    sessions: sessionmaker[Session]
    tiles: TileRegistry
    blobs: BlobStore
    signer: BlobUrls  # signed download URLs of blobs (/files URLs, or presigned S3 GETs)
    dispatcher: Dispatcher
    runner: FFmpegRunner
    billing: Billing  # prices tasks and holds/charges their credits
    resolver: Resolver | None = None
    # Called after a commit that wrote outbox rows (wakes the webhook sender).
    events_committed: Callable[[], None] = field(default=_nothing)
