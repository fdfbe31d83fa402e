"""What a tile is: a typed transformation from one input timeline to output timelines.

Tiles never touch the database or HTTP. The engine hands a tile its parameters (already validated
against ``params_model``), the item's input timeline and a ``TileContext`` (scratch directory,
ffmpeg runner, abort/heartbeat, progress, and ``resolve_upload`` to find the organization's
uploaded images/audio/video by id). A tile returns edited timelines (several for fan-out)
and, for render tiles, the files it produced; the engine stores them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import opentimelineio as otio
from pydantic import BaseModel, ConfigDict

from tilework.config import Settings
from tilework.errors import ValidationError
from tilework.media.probe import MediaInfo
from tilework.workers.port import JobContext


class TileParams(BaseModel):
    """Base of every tile's parameter model: unknown parameters are refused."""

    model_config = ConfigDict(extra="forbid")


ProgressCallback = Callable[[float, float | None], None]  # (fraction 0..1, eta seconds)
UploadKind = Literal["video", "audio", "image"]
# (kind, upload id) -> the file and its probe; the engine scopes it to the run's organization and
# raises ValidationError for an id that is unknown, of another kind or not finalized.
UploadResolver = Callable[[UploadKind, str], tuple[Path, MediaInfo | None]]


def no_uploads(kind: UploadKind, upload_id: str) -> tuple[Path, MediaInfo | None]:
    """The resolver outside the engine: there is no organization to look uploads up in."""
    raise ValidationError(f"{kind} upload {upload_id}: uploads can only be used inside a run")


@dataclass
class TileContext:
    settings: Settings
    work_dir: Path
    job: JobContext
    progress: ProgressCallback
    resolve_upload: UploadResolver = no_uploads


@dataclass
class RenderedFiles:
    """Files a render step wrote into the task's work dir, for the engine to store."""

    video: Path
    thumbnail: Path | None
    timeline_zip: Path | None
    media_info: dict[str, Any]
    ffmpeg_command: list[str]
    # More files published with the render, by output field name (``captions_srt_url``: path).
    extra_files: dict[str, Path] = field(default_factory=dict)


WARNING_PREFIX = "warning: "


@dataclass
class TileResult:
    timelines: list[otio.schema.Timeline]
    status_message: str | None = None
    rendered: RenderedFiles | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # What the user must be told: the tile did its work, but not all of it as asked (Reframe
    # found no face in a cut). It leads the item's note, and the node's status message shows it
    # even when the item is not the node's first (engine/statuses.py, ``node_note``).
    warning: str | None = None

    def note(self) -> str | None:
        """The item's status message: the warning first (marked ``WARNING_PREFIX``), then the
        tile's status message."""
        warning = f"{WARNING_PREFIX}{self.warning}" if self.warning else None
        return "; ".join(part for part in (warning, self.status_message) if part) or None


class Tile(ABC):
    """A node type. Subclasses set the class attributes and implement ``run``."""

    type_id: ClassVar[str]
    name: ClassVar[str]
    slug: ClassVar[str]
    params_model: ClassVar[type[TileParams]] = TileParams
    is_input: ClassVar[bool] = False  # fed by run inputs; never re-run on resume
    renders: ClassVar[bool] = False  # produces a Render itself (no implicit leaf render)
    docs_url: ClassVar[str | None] = None  # the tile's documentation page
    params_docs_url: ClassVar[str | None] = None  # where its parameters are documented

    @abstractmethod
    def run(
        self, ctx: TileContext, params: TileParams, timeline: otio.schema.Timeline
    ) -> TileResult:
        """Edit ``timeline`` (may read media, must not re-encode unless ``renders``)."""

    def prefetch(self, settings: Settings, timeline: otio.schema.Timeline) -> None:
        """Fill the analysis caches this tile will read for ``timeline``'s sources. The engine
        calls it in a background thread as soon as an upstream node starts on the same sources
        (``engine/prefetch.py``), so the analysis runs beside that node's work. Only for tiles
        that set ``prefetches``."""
        return None

    prefetches: ClassVar[bool] = False

    def features(self, settings: Settings) -> dict[str, str]:
        """What this install offers for the tile, e.g. which model is active (shown by
        ``GET /node_types``). Empty for most tiles."""
        return {}

    def parse_params(self, raw: dict[str, Any]) -> TileParams:
        return self.params_model.model_validate(raw)

    def params_schema(self) -> dict[str, Any]:
        return self.params_model.model_json_schema()
