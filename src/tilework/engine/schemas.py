"""Request models of the runs API (the body of ``POST /agent/{agent_id}/run``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class ClipRange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    input_clip_start_ms: int | None = Field(default=None, ge=0)
    input_clip_end_ms: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> ClipRange:
        start, end = self.input_clip_start_ms, self.input_clip_end_ms
        if start is not None and end is not None and end <= start:
            raise ValueError("input_clip_end_ms must be greater than input_clip_start_ms")
        return self


class Sources(ClipRange):
    video_ids: list[str] = Field(default_factory=list)
    node_render_ids: list[str] = Field(default_factory=list)
    video_urls: list[str] = Field(default_factory=list)

    def has_sources(self) -> bool:
        return bool(self.video_ids or self.node_render_ids or self.video_urls)


class VideoInput(Sources):
    agent_node_id: str


class RunRequest(Sources):
    video_inputs: list[VideoInput] | None = None
    callback_url: str | None = None
    update_params: dict[str, dict[str, Any]] = Field(default_factory=dict)
    ignore_nodes: list[str] = Field(default_factory=list)
