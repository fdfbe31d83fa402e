"""Request bodies of the trigger endpoints (shapes from Mosaic's API; [ext] marks ours)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from tilework.engine.schemas import RunRequest, Sources, VideoInput
from tilework.triggers.filters import FilterOptions

MAX_CHANNELS_PER_CALL = 50
MAX_BACKFILL = 15  # YouTube's feed lists the newest 15 uploads


class AddYoutubeChannels(BaseModel):
    model_config = ConfigDict(extra="forbid")

    youtube_channels: list[str] = Field(
        min_length=1,
        max_length=MAX_CHANNELS_PER_CALL,
        description="channel ids (UC…), channel URLs, or @handles",
    )
    # Left out: the callback stays as it is; null: cleared. (model_fields_set tells them apart.)
    trigger_callback_url: str | None = Field(
        default=None, description="where the runs' webhooks go; null clears it"
    )
    filter_options: FilterOptions = Field(default_factory=FilterOptions)
    backfill: int = Field(
        default=0,
        ge=0,
        le=MAX_BACKFILL,
        description="[ext] on a new channel's first poll, also run its N newest videos",
    )


class RemoveYoutubeChannels(BaseModel):
    model_config = ConfigDict(extra="forbid")

    youtube_channels: list[str] = Field(min_length=1, max_length=MAX_CHANNELS_PER_CALL)


class AddSchedule(Sources):
    """[ext] A cron schedule and the run inputs it starts (the run body's input fields)."""

    model_config = ConfigDict(extra="forbid")

    cron: str = Field(description="five-field cron expression, e.g. '0 9 * * 1-5'")
    timezone: str = Field(default="UTC", description="IANA time zone the cron is read in")
    video_inputs: list[VideoInput] | None = None
    update_params: dict[str, dict[str, object]] = Field(default_factory=dict)
    ignore_nodes: list[str] = Field(default_factory=list)
    trigger_callback_url: str | None = None

    def run_request(self) -> RunRequest:
        fields = self.model_dump(exclude={"cron", "timezone", "trigger_callback_url"})
        return RunRequest.model_validate({**fields, "callback_url": self.trigger_callback_url})


class FireTrigger(RunRequest):
    """``POST /trigger/{id}/fire``: inputs here replace the trigger's stored ones (a YouTube
    trigger has none, so firing one needs them)."""

    model_config = ConfigDict(extra="forbid")
