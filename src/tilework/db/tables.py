"""Every stored shape, as SQLAlchemy 2 declarative tables.

Ids are UUID strings (the API's ids). JSON columns hold documents whose shape is owned by a
pydantic model elsewhere (params, timelines, webhook payloads); times are timezone-aware UTC.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes; SQLite hands back naive ones, which we re-tag as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime stored; use tilework.db.tables.utcnow()")
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


# --- tenants -------------------------------------------------------------------------------


class Organization(Base):
    __tablename__ = "organizations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    webhook_secret: Mapped[str | None] = mapped_column(String(200), default=None)
    # After a rotation the previous secret keeps signing alongside the new one until then.
    webhook_previous_secret: Mapped[str | None] = mapped_column(String(200), default=None)
    webhook_previous_secret_until: Mapped[datetime | None] = mapped_column(default=None)
    webhook_plaintext_header: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the key
    prefix: Mapped[str] = mapped_column(String(16))  # first characters, to recognise a key
    name: Mapped[str] = mapped_column(String(100), default="default")
    # None: full access (every scope, also ones added later); else the scope names it holds.
    scopes: Mapped[list[Any] | None] = mapped_column(JSON(none_as_null=True), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Written at most once a minute per key (orgs.service.LAST_USED_RESOLUTION), not per request.
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


# --- agents (templates) --------------------------------------------------------------------


class Agent(Base):
    __tablename__ = "agents"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(16), default="private")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)


class AgentNode(Base):
    __tablename__ = "agent_nodes"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id"), index=True)
    node_type_id: Mapped[str] = mapped_column(String(36))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    position: Mapped[int] = mapped_column(Integer, default=0)  # creation order, for stable output


class AgentConnection(Base):
    __tablename__ = "agent_connections"
    __table_args__ = (UniqueConstraint("source_node_id", "target_node_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id"), index=True)
    source_node_id: Mapped[str] = mapped_column(ForeignKey("agent_nodes.id"))
    target_node_id: Mapped[str] = mapped_column(ForeignKey("agent_nodes.id"))


# --- media assets ----------------------------------------------------------------------------


class Upload(Base):
    """A file the client uploads (video, audio or image), reserved before its bytes arrive."""

    __tablename__ = "uploads"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # video | audio | image
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|uploaded|ready
    blob_key: Mapped[str | None] = mapped_column(String(500), default=None)
    filename: Mapped[str | None] = mapped_column(String(500), default=None)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger, default=None)
    media_info: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


# --- runs ------------------------------------------------------------------------------------


class Run(Base):
    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_org_created", "organization_id", "created_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="running")
    status_message: Mapped[str | None] = mapped_column(Text, default=None)
    needs_credits: Mapped[bool] = mapped_column(Boolean, default=False)
    callback_url: Mapped[str | None] = mapped_column(Text, default=None)
    triggered_by: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    trigger_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    event_seq: Mapped[int] = mapped_column(Integer, default=0)  # last webhook sequence number


class RunInput(Base):
    """One input video of a run: it becomes one item flowing from its Video Input node."""

    __tablename__ = "run_inputs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), index=True)
    run_node_id: Mapped[str] = mapped_column(ForeignKey("run_nodes.id"))
    position: Mapped[int] = mapped_column(Integer)
    source_kind: Mapped[str] = mapped_column(String(16))  # upload | render | url
    source_ref: Mapped[str] = mapped_column(Text)  # upload id, render id or URL
    blob_key: Mapped[str] = mapped_column(String(500))
    media_info: Mapped[dict[str, Any]] = mapped_column(JSON)
    clip_start_ms: Mapped[int | None] = mapped_column(BigInteger, default=None)
    clip_end_ms: Mapped[int | None] = mapped_column(BigInteger, default=None)
    thumbnail_key: Mapped[str | None] = mapped_column(String(500), default=None)


class RunNode(Base):
    """A node of a run's compiled graph (its own runtime id; ``original_node_id`` = template)."""

    __tablename__ = "run_nodes"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), index=True)
    original_node_id: Mapped[str | None] = mapped_column(String(36), default=None)
    node_type_id: Mapped[str] = mapped_column(String(36))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    position: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="not_started")
    status_message: Mapped[str | None] = mapped_column(Text, default=None)
    needs_credits: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RunEdge(Base):
    __tablename__ = "run_edges"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), index=True)
    source_node_id: Mapped[str] = mapped_column(ForeignKey("run_nodes.id"))
    target_node_id: Mapped[str] = mapped_column(ForeignKey("run_nodes.id"))


class Task(Base):
    """One node applied to one item. Fan-out makes items ``0``, ``0.1``, ``0.2`` …"""

    __tablename__ = "tasks"
    __table_args__ = (UniqueConstraint("run_node_id", "item_key"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), index=True)
    run_node_id: Mapped[str] = mapped_column(ForeignKey("run_nodes.id"), index=True)
    item_key: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    input_timeline: Mapped[dict[str, Any]] = mapped_column(JSON)
    output_timelines: Mapped[list[Any] | None] = mapped_column(JSON, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    status_message: Mapped[str | None] = mapped_column(Text, default=None)  # the tile's note
    needs_credits: Mapped[bool] = mapped_column(Boolean, default=False)
    job_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    progress: Mapped[float | None] = mapped_column(Float, default=None)  # 0..1
    eta_seconds: Mapped[float | None] = mapped_column(Float, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    # Node-level reuse (engine/reuse.py): the task's key, and the task whose result it took.
    reuse_key: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    reused_from: Mapped[str | None] = mapped_column(String(36), default=None)


class Render(Base):
    """A rendered output: video, thumbnail and timeline zip. Its id is a ``node_render_id``."""

    __tablename__ = "renders"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), index=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id"), index=True)
    original_node_id: Mapped[str | None] = mapped_column(String(36), default=None)
    video_key: Mapped[str] = mapped_column(String(500))
    thumbnail_key: Mapped[str | None] = mapped_column(String(500), default=None)
    timeline_key: Mapped[str | None] = mapped_column(String(500), default=None)
    media_info: Mapped[dict[str, Any]] = mapped_column(JSON)
    ffmpeg_command: Mapped[list[Any] | None] = mapped_column(JSON, default=None)
    # More published files by output field name, e.g. {"captions_srt_url": "renders/…/x.srt"}.
    extra_keys: Mapped[dict[str, str] | None] = mapped_column(JSON, default=None)
    is_output: Mapped[bool] = mapped_column(Boolean, default=True)  # produced by a leaf node
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- triggers (see docs/triggers.md) ---------------------------------------------------------


class Trigger(Base):
    """Starts runs of an agent by itself: ``youtube`` (watched channels) or ``schedule`` (cron).

    Removing a trigger stamps ``removed_at``: its runs and its ledger stay readable.
    """

    __tablename__ = "triggers"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id"), index=True)
    type: Mapped[str] = mapped_column(String(16))  # youtube | schedule
    callback_url: Mapped[str | None] = mapped_column(Text, default=None)
    # youtube: {"duration": {"min_seconds": int|None, "max_seconds": int|None}}
    filter_options: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # schedule: the cron expression, its IANA zone, the run request to start, the next firing
    cron_expression: Mapped[str | None] = mapped_column(String(200), default=None)
    timezone: Mapped[str | None] = mapped_column(String(64), default=None)
    run_request: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    next_fire_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(default=None)


class TriggerChannel(Base):
    """A YouTube channel a ``youtube`` trigger watches; ``primed_at`` is set by its first poll."""

    __tablename__ = "trigger_channels"
    __table_args__ = (UniqueConstraint("trigger_id", "channel_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    trigger_id: Mapped[str] = mapped_column(ForeignKey("triggers.id"), index=True)
    channel_id: Mapped[str] = mapped_column(String(64), index=True)
    handle: Mapped[str | None] = mapped_column(String(100), default=None)  # "@name" if given so
    channel_name: Mapped[str | None] = mapped_column(String(300), default=None)  # from the feed
    backfill: Mapped[int] = mapped_column(Integer, default=0)  # newest videos run at priming
    primed_at: Mapped[datetime | None] = mapped_column(default=None)
    last_polled_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TriggerEvent(Base):
    """The ledger that makes firings idempotent: one row per (trigger, video or scheduled time).

    The unique key is taken in the same transaction that defers the job starting the run, and
    the run itself commits only if it moves its row from ``queued`` to ``started``: a restart or a
    second poller can never start a second run for the same key.
    Statuses: seen (recorded at a channel's first poll) | skipped (filtered out) | queued |
    started | failed.
    """

    __tablename__ = "trigger_events"
    __table_args__ = (UniqueConstraint("trigger_id", "event_key"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    trigger_id: Mapped[str] = mapped_column(ForeignKey("triggers.id"), index=True)
    event_key: Mapped[str] = mapped_column(String(200))  # video id | scheduled time (ISO)
    status: Mapped[str] = mapped_column(String(12))
    triggered_by: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    duration_s: Mapped[float | None] = mapped_column(Float, default=None)  # from the feed
    reason: Mapped[str | None] = mapped_column(Text, default=None)  # why skipped or failed
    run_id: Mapped[str | None] = mapped_column(String(36), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- events and jobs -------------------------------------------------------------------------


class WebhookEvent(Base):
    """The outbox: one row per run event, committed with the state change that caused it.

    The SSE stream reads the same rows; the webhook sender delivers those with a callback URL.
    """

    __tablename__ = "webhook_events"
    __table_args__ = (
        UniqueConstraint("run_id", "seq"),
        Index("ix_webhook_events_pending", "delivery_status", "next_attempt_at"),
        # Each run's lowest pending seq (the sender's "heads") straight from the index.
        Index("ix_webhook_events_heads", "delivery_status", "run_id", "seq"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"))
    seq: Mapped[int] = mapped_column(Integer)
    flag: Mapped[str] = mapped_column(String(20))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    callback_url: Mapped[str | None] = mapped_column(Text, default=None)
    # pending | delivered | failed | none (no callback URL: stream only)
    delivery_status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    last_status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)


class WebhookAttempt(Base):
    """The delivery log: one row per HTTP attempt at an event, written with its outcome."""

    __tablename__ = "webhook_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("webhook_events.id"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)  # 1, 2, 3 … over the event's whole life
    started_at: Mapped[datetime] = mapped_column()
    url: Mapped[str] = mapped_column(Text)
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)  # None: no answer
    latency_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text, default=None)  # None: delivered
    response_excerpt: Mapped[str | None] = mapped_column(Text, default=None)  # first 1 KB


class Job(Base):
    """The embedded dispatcher's queue, modelled on Procrastinate's ``procrastinate_jobs``.

    Statuses: todo → doing → succeeded | failed | cancelled | aborted.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_claim", "status", "queue", "priority", "scheduled_at"),
        # One waiting job per queueing lock, as in Procrastinate (a partial unique index).
        Index(
            "ix_jobs_queueing_lock",
            "queueing_lock",
            unique=True,
            sqlite_where=text("status = 'todo'"),
            postgresql_where=text("status = 'todo'"),
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    queue: Mapped[str] = mapped_column(String(64), default="default")
    task_name: Mapped[str] = mapped_column(String(128))
    args: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(12), default="todo")
    priority: Mapped[int] = mapped_column(Integer, default=0)
    lock: Mapped[str | None] = mapped_column(String(200), default=None)
    queueing_lock: Mapped[str | None] = mapped_column(String(200), default=None)
    scheduled_at: Mapped[datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    abort_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    worker_id: Mapped[str | None] = mapped_column(String(64), default=None)
    heartbeat_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


# --- billing (see docs/billing.md) -----------------------------------------------------------


class BillingAccount(Base):
    """An organization's plan, auto top-up settings and running credit totals. Created on first
    use, on the default plan.

    ``balance`` is always the sum of the organization's ``credit_ledger`` rows and ``reserved``
    minus the sum of its reservation and release rows: ``ledger.append`` updates both in the
    transaction that writes the row, so a reservation checks one column, not the whole ledger."""

    __tablename__ = "billing_accounts"
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), primary_key=True)
    plan_id: Mapped[str] = mapped_column(String(64))
    # Monthly allowances and billing periods count from here (the last plan change).
    plan_started_at: Mapped[datetime] = mapped_column(default=utcnow)
    canceled_at: Mapped[datetime | None] = mapped_column(default=None)
    auto_topup_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    auto_topup_threshold: Mapped[int] = mapped_column(Integer, default=0)
    auto_topup_quantity: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    reserved: Mapped[int] = mapped_column(BigInteger, default=0)


class CreditLedgerEntry(Base):
    """One append-only movement of credits (signed ``amount``); never updated or deleted.

    Kinds: grant, allowance, topup, refund (credits in), reservation (held before a task runs),
    release (a reservation given back), charge (a task's price, taken when it succeeds),
    adjustment (an operator's correction, either sign).
    ``idempotency_key`` is unique, e.g. ``charge:<task id>``: retried or resumed work cannot
    write the same movement twice.
    """

    __tablename__ = "credit_ledger"
    __table_args__ = (Index("ix_credit_ledger_org_created", "organization_id", "created_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    run_id: Mapped[str | None] = mapped_column(String(36), default=None)
    task_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    reservation_id: Mapped[int | None] = mapped_column(Integer, default=None)  # what it settles
    tile: Mapped[str | None] = mapped_column(String(120), default=None)  # tile name, for usage
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CheckoutSession(Base):
    """A plan change waiting for payment (the ``approval`` checkout provider)."""

    __tablename__ = "checkout_sessions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    plan_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12), default="pending")  # approved | declined
    success_url: Mapped[str | None] = mapped_column(Text, default=None)
    cancel_url: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column(default=None)


# --- sharing and the dashboard (see docs/dashboard.md) ---------------------------------------


class AgentShare(Base):
    """A public, read-only link to an agent (and optionally one finished run's outputs).

    ``token`` is the unguessable part of the link (192 random bits). Revoking stamps
    ``revoked_at``; a new share of the same agent gets a new token, so a revoked link never
    comes back. ``source_agent_id`` is set when the shared agent is a copy made for sharing.
    """

    __tablename__ = "agent_shares"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id"), index=True)
    source_agent_id: Mapped[str | None] = mapped_column(String(36), default=None)
    run_id: Mapped[str | None] = mapped_column(ForeignKey("runs.id"), default=None)
    name: Mapped[str] = mapped_column(String(120))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class WebSession(Base):
    """A dashboard sign-in. The browser holds a random token; only its SHA-256 (``id``) is
    stored, and the API key itself never is. Revoking the key ends its sessions too."""

    __tablename__ = "web_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the token
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    api_key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
