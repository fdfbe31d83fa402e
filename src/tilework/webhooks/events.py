"""The webhook payloads, one model per event, exact to the compatibility contract (webhooks.md).

Field names and value sets are what existing Mosaic clients rely on: Tilework may add fields,
never rename or drop these. Models allow extra fields so a stored payload written by a newer
version still parses. ``RunEvent`` is the union discriminated on ``flag``; ``parse_event`` turns
a stored or received JSON object into the right model.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

RunStatus = Literal["running", "completed", "partial_complete", "failed", "cancelled"]
FinishedStatus = Literal["completed", "partial_complete", "failed", "cancelled"]
# The contract lists six node values; ``cancelled`` is added because cancelling a run reports its
# cancelled nodes in a RUN_PROGRESS (api.md's node statuses include it). ``not_started`` is never
# sent: a node that has not started has not changed.
NodeStatus = Literal[
    "completed", "running", "queued", "failed", "blocked", "partial_complete", "cancelled"
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class NodeStatusCounts(_Model):
    completed: int
    in_progress: int
    failed: int


class InputObject(_Model):
    video_url: str
    thumbnail_url: str | None


class OutputObject(_Model):
    id: str
    video_url: str
    thumbnail_url: str | None
    premiere_prproj_url: str | None
    completed_at: str  # ISO 8601, kept as the string that was sent
    original_node_id: str | None


class UpdatedNode(_Model):
    original_node_id: str | None
    status: NodeStatus
    status_message: str | None
    errors: list[str]
    outputs: list[OutputObject]


class ErrorGroup(_Model):
    original_node_id: str | None
    messages: list[str]


class _RunEventBase(_Model):
    agent_id: str
    run_id: str
    node_status_counts: NodeStatusCounts
    triggered_by: dict[str, Any] | None


class RunStarted(_RunEventBase):
    flag: Literal["RUN_STARTED"]
    status: Literal["running"]
    inputs: list[InputObject]


class RunProgress(_RunEventBase):
    flag: Literal["RUN_PROGRESS"]
    status: RunStatus
    updated_nodes: list[UpdatedNode]


class RunFinished(_RunEventBase):
    flag: Literal["RUN_FINISHED"]
    status: FinishedStatus
    status_message: str | None
    needs_credits: bool
    errors: list[ErrorGroup]
    inputs: list[InputObject]
    outputs: list[OutputObject]


RunEvent = Annotated[RunStarted | RunProgress | RunFinished, Field(discriminator="flag")]

_RUN_EVENT: TypeAdapter[RunStarted | RunProgress | RunFinished] = TypeAdapter(RunEvent)


def parse_event(payload: dict[str, Any]) -> RunEvent:
    """Validate a payload; raises ``pydantic.ValidationError`` when it breaks the contract."""
    return _RUN_EVENT.validate_python(payload)
