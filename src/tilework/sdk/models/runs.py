"""Runs: the run request, run views, nodes, progress, cancel/resume answers, the estimate."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, TypedDict

from pydantic import Field

from tilework.sdk.models._base import Answer, Request
from tilework.sdk.models.agents import NodeType

RunStatus = Literal["running", "completed", "partial_complete", "failed", "cancelled"]
NodeStatus = Literal[
    "not_started",
    "queued",
    "running",
    "completed",
    "partial_complete",
    "failed",
    "blocked",
    "cancelled",
]
TERMINAL_RUN_STATUSES: frozenset[str] = frozenset(
    {"completed", "partial_complete", "failed", "cancelled"}
)

# --- requests ------------------------------------------------------------------------------


class RunSources(Request):
    """The input fields shared by run requests, schedules and video inputs."""

    video_ids: list[str] | None = None
    node_render_ids: list[str] | None = None
    video_urls: list[str] | None = None
    input_clip_start_ms: int | None = None
    input_clip_end_ms: int | None = None


class VideoInput(RunSources):
    """The inputs of one Video Input node (required when an agent has several)."""

    agent_node_id: str


class RunRequest(RunSources):
    """The body of ``POST /agent/{agent_id}/run`` (and of ``/estimate`` and trigger ``fire``)."""

    video_inputs: list[VideoInput] | None = None
    callback_url: str | None = None
    update_params: dict[str, dict[str, Any]] | None = None
    ignore_nodes: list[str] | None = None


class InputFields(TypedDict, total=False):
    """The inputs of a run as typed keyword arguments (the fields of ``RunRequest``)."""

    video_ids: Sequence[str]
    node_render_ids: Sequence[str]
    video_urls: Sequence[str]
    input_clip_start_ms: int
    input_clip_end_ms: int
    video_inputs: Sequence[VideoInput | Mapping[str, Any]]
    update_params: Mapping[str, Mapping[str, Any]]
    ignore_nodes: Sequence[str]


class RunFields(InputFields, total=False):
    callback_url: str


def run_request(request: RunRequest | None, fields: Mapping[str, Any]) -> RunRequest:
    """``request`` with ``fields`` (keyword arguments) over it."""
    given = request.model_dump(exclude_none=True) if request is not None else {}
    return RunRequest.model_validate({**given, **fields})


# --- answers -------------------------------------------------------------------------------


class RunCreated(Answer):
    run_id: str


class NodeStatusCounts(Answer):
    """``completed`` = completed + partial_complete; ``failed``; ``in_progress`` = the rest."""

    completed: int = 0
    in_progress: int = 0
    failed: int = 0


class RunInput(Answer):
    video_url: str
    thumbnail_url: str | None = None


class Output(Answer):
    """A rendered output; ``id`` is a render id usable as ``node_render_ids``. URLs are signed."""

    id: str
    video_url: str
    thumbnail_url: str | None = None
    premiere_prproj_url: str | None = None
    completed_at: datetime
    original_node_id: str | None = None
    captions_srt_url: str | None = None  # [ext] when the render has captions
    captions_vtt_url: str | None = None


class ErrorGroup(Answer):
    original_node_id: str | None = None
    messages: list[str] = Field(default_factory=list)


class Run(Answer):
    """``GET /agent_run/{run_id}``; ``run_id`` is filled in by the SDK."""

    run_id: str | None = None
    agent_id: str
    started_at: datetime
    status: RunStatus
    status_message: str | None = None
    needs_credits: bool = False
    errors: list[ErrorGroup] = Field(default_factory=list)
    node_status_counts: NodeStatusCounts = Field(default_factory=NodeStatusCounts)
    inputs: list[RunInput] = Field(default_factory=list)
    outputs: list[Output] = Field(default_factory=list)
    triggered_by: dict[str, Any] | None = None

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL_RUN_STATUSES


class RunSummary(Answer):
    """One row of the run lists."""

    run_id: str
    agent_id: str
    status: RunStatus
    status_message: str | None = None
    started_at: datetime
    updated_at: datetime
    node_status_counts: NodeStatusCounts = Field(default_factory=NodeStatusCounts)
    inputs: list[RunInput] = Field(default_factory=list)
    outputs: list[Output] = Field(default_factory=list)
    triggered_by: dict[str, Any] | None = None


class RunPage(Answer):
    runs: list[RunSummary]
    next_cursor: str | None = None

    @property
    def items(self) -> list[RunSummary]:
        return self.runs


class RunNode(Answer):
    agent_node_id: str  # the runtime node id
    original_node_id: str | None = None  # the agent (template) node id
    status: NodeStatus
    status_message: str | None = None
    errors: list[str] = Field(default_factory=list)
    node_type: NodeType
    needs_credits: bool = False
    ffmpeg_commands: list[list[str]] = Field(default_factory=list)  # [ext]


class RunNodes(Answer):
    run_id: str
    nodes: list[RunNode]


class NodeProgress(Answer):
    agent_node_id: str
    original_node_id: str | None = None
    status: NodeStatus
    tasks_total: int = 0
    tasks_done: int = 0
    percent: float = 0.0  # [ext] measured from ffmpeg's progress while a render runs
    eta_seconds: float | None = None


class RunProgress(Answer):
    """``GET /agent_run/{run_id}/progress``."""

    run_id: str
    status: RunStatus
    node_status_counts: NodeStatusCounts
    total_nodes: int
    completed_node_percent: float
    nodes: list[NodeProgress] = Field(default_factory=list)


class CancelResult(Answer):
    success: bool
    run_id: str
    tasks_cancelled: int = 0
    nodes_reset: int = 0
    message: str = ""


class ResumeResult(Answer):
    success: bool
    run_id: str
    nodes_queued: int = 0
    nodes_considered: int = 0
    requeued_nodes: list[str] = Field(default_factory=list)


class EstimateNode(Answer):
    agent_node_id: str
    node_type_id: str
    tile: str
    credits_per_minute: float
    credits: int


class Estimate(Answer):
    """[ext] ``POST /agent/{agent_id}/estimate``: what the run would cost."""

    agent_id: str
    estimated_credits: int
    first_node_credits: int
    balance: int
    auto_topup: bool
    can_start: bool
    sufficient: bool
    input_seconds: list[float] = Field(default_factory=list)
    nodes: list[EstimateNode] = Field(default_factory=list)
