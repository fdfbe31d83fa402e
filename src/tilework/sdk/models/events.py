"""The run events of ``GET /agent_run/{run_id}/events`` (the same payloads as the webhooks).

``parse_event`` gives the model named by ``flag``; a flag this SDK does not know yet becomes an
``OtherEvent`` rather than an error, so a newer server never breaks a waiting client.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter

from tilework.sdk.models._base import Answer
from tilework.sdk.models.runs import (
    ErrorGroup,
    NodeStatus,
    NodeStatusCounts,
    Output,
    RunInput,
    RunStatus,
)


class UpdatedNode(Answer):
    original_node_id: str | None = None
    status: NodeStatus
    status_message: str | None = None
    errors: list[str] = Field(default_factory=list)
    outputs: list[Output] = Field(default_factory=list)


class _RunEventBase(Answer):
    agent_id: str
    run_id: str
    node_status_counts: NodeStatusCounts = Field(default_factory=NodeStatusCounts)
    triggered_by: dict[str, Any] | None = None


class RunStartedEvent(_RunEventBase):
    flag: Literal["RUN_STARTED"]
    status: RunStatus
    inputs: list[RunInput] = Field(default_factory=list)


class RunProgressEvent(_RunEventBase):
    flag: Literal["RUN_PROGRESS"]
    status: RunStatus
    updated_nodes: list[UpdatedNode] = Field(default_factory=list)


class RunFinishedEvent(_RunEventBase):
    flag: Literal["RUN_FINISHED"]
    status: RunStatus
    status_message: str | None = None
    needs_credits: bool = False
    errors: list[ErrorGroup] = Field(default_factory=list)
    inputs: list[RunInput] = Field(default_factory=list)
    outputs: list[Output] = Field(default_factory=list)


class OtherEvent(Answer):
    """An event whose ``flag`` this SDK does not know; every field is kept."""

    flag: str


RunEvent = RunStartedEvent | RunProgressEvent | RunFinishedEvent | OtherEvent

_KNOWN: TypeAdapter[RunStartedEvent | RunProgressEvent | RunFinishedEvent] = TypeAdapter(
    Annotated[RunStartedEvent | RunProgressEvent | RunFinishedEvent, Field(discriminator="flag")]
)
_FLAGS = frozenset({"RUN_STARTED", "RUN_PROGRESS", "RUN_FINISHED"})


def parse_event(payload: dict[str, Any]) -> RunEvent:
    """The model for one event payload (``pydantic.ValidationError`` if a known flag's payload
    breaks the contract)."""
    if payload.get("flag") in _FLAGS:
        return _KNOWN.validate_python(payload)
    return OtherEvent.model_validate({**payload, "flag": str(payload.get("flag", ""))})
