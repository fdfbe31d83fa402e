"""The composition root: builds every long-lived resource from ``Settings`` and owns their life.

The app factory (``tilework.api.app.create_app``) and the CLI build one ``Runtime`` and call
``start()``/``stop()``; nothing is created at import time. This is the one place that picks
concrete adapters (the embedded dispatcher, local storage, the httpx webhook sender).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

from prometheus_client import CollectorRegistry
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tilework.billing.service import Billing, billing_from_settings
from tilework.config import Settings
from tilework.db.checkpoint import WalCheckpointer
from tilework.db.migrate import migrate
from tilework.db.session import make_engine, make_read_session_factory, make_session_factory
from tilework.engine.context import EngineContext
from tilework.engine.executor import execute_task
from tilework.engine.service import RunService
from tilework.engine.tasks import EXECUTE_TASK
from tilework.media.runner import FFmpegRunner
from tilework.orgs.rate_limit import InProcessRateLimiter, RateLimiter
from tilework.storage.base import BlobStore, BlobUrls
from tilework.storage.local import LocalBlobStore
from tilework.storage.s3 import S3BlobStore
from tilework.storage.signing import UrlSigner
from tilework.tiles.registry import TileRegistry, default_registry
from tilework.triggers.service import TriggerService
from tilework.webhooks.metrics import DeliveryMetrics
from tilework.webhooks.sender import WebhookSender
from tilework.webhooks.wakeup import OutboxListener
from tilework.workers.embedded import EmbeddedDispatcher
from tilework.workers.port import Dispatcher
from tilework.workers.postgres.dispatcher import ProcrastinateDispatcher, conninfo


@dataclass
class Runtime:
    settings: Settings
    db: Engine
    sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]
    blobs: BlobStore
    signer: UrlSigner  # HMAC for Tilework's own signed forms and /files URLs
    urls: BlobUrls  # download URLs of blobs: the signer's /files URLs, or presigned S3 GETs
    tiles: TileRegistry
    runner: FFmpegRunner
    dispatcher: Dispatcher
    webhooks: WebhookSender
    runs: RunService
    billing: Billing
    triggers: TriggerService
    metrics_registry: CollectorRegistry
    checkpointer: WalCheckpointer  # SQLite WAL checkpoints off the hot path (a no-op elsewhere)
    workers_enabled: bool = True
    rate_limiter: RateLimiter = field(default_factory=InProcessRateLimiter)  # per API process
    # PostgreSQL: wakes this process's sender when another process commits events
    listener: OutboxListener | None = None

    def start(self) -> None:
        """Migrate the schema, then (unless disabled) start workers and the webhook sender."""
        self.settings.work_dir.mkdir(parents=True, exist_ok=True)
        self.blobs.check()
        migrate(self.db)
        if self.workers_enabled:
            self.checkpointer.start()
            self.dispatcher.start()
            self.webhooks.start()
            if self.listener is not None:
                self.listener.start()

    def stop(self) -> None:
        if self.workers_enabled:
            if self.listener is not None:
                self.listener.stop()
            self.webhooks.stop()
            self.dispatcher.stop()
            self.checkpointer.stop()
        self.db.dispose()


def build_runtime(settings: Settings, *, workers: bool = True) -> Runtime:
    """Everything wired; ``workers=False`` gives a runtime for one-shot CLI commands."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = make_engine(settings.database_url)
    sessions = make_session_factory(db)
    signer = UrlSigner(
        settings.resolved_signing_key(), settings.public_base_url, settings.signed_url_ttl_seconds
    )
    blobs, urls = _storage(settings, signer)
    tiles = default_registry()
    runner = FFmpegRunner(settings)
    dispatcher = _dispatcher(settings, sessions)
    metrics_registry = CollectorRegistry()
    webhooks = WebhookSender(sessions, settings, metrics=DeliveryMetrics(metrics_registry))
    ctx = EngineContext(
        settings=settings,
        sessions=sessions,
        tiles=tiles,
        blobs=blobs,
        signer=urls,
        dispatcher=dispatcher,
        runner=runner,
        billing=billing_from_settings(settings, signer),
        events_committed=webhooks.wake,
    )
    dispatcher.register(EXECUTE_TASK, partial(execute_task, ctx))
    runs = RunService(ctx)
    triggers = TriggerService(ctx, runs)
    triggers.register()  # the launch job, the YouTube poll and the schedule tick
    return Runtime(
        settings=settings,
        db=db,
        sessions=sessions,
        read_sessions=make_read_session_factory(db),
        blobs=blobs,
        signer=signer,
        urls=urls,
        tiles=tiles,
        runner=runner,
        dispatcher=dispatcher,
        webhooks=webhooks,
        runs=runs,
        billing=ctx.billing,
        triggers=triggers,
        metrics_registry=metrics_registry,
        checkpointer=WalCheckpointer(db),
        workers_enabled=workers,
        listener=(
            OutboxListener(conninfo(settings.database_url), webhooks.wake)
            if settings.uses_postgres
            else None
        ),
    )


def _dispatcher(settings: Settings, sessions: sessionmaker[Session]) -> Dispatcher:
    """Procrastinate on PostgreSQL; the embedded SQLite queue otherwise."""
    if settings.uses_postgres:
        return ProcrastinateDispatcher(
            settings.database_url,
            concurrency=settings.workers,
            queues=settings.worker_queues or None,
            stalled_after_seconds=settings.stalled_after_seconds,
        )
    return EmbeddedDispatcher(
        sessions, concurrency=settings.workers, abort_poll_interval=settings.abort_poll_seconds
    )


def _storage(settings: Settings, signer: UrlSigner) -> tuple[BlobStore, BlobUrls]:
    """S3 (presigned URLs) when ``TILEWORK_STORAGE_URL`` names a bucket; the data dir otherwise."""
    if settings.storage_url:
        store = S3BlobStore(settings.storage_url, settings.data_dir / "cache" / "blobs")
        return store, store
    return LocalBlobStore(settings.blob_dir), signer
