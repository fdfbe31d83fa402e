"""One JPEG thumbnail per video: one input seek, one decoded frame (cheap at any length).

The Thumbnail tile may choose the moment and a title. It stores its choice in
``timeline.metadata["tilework"]["thumbnail"]`` as a *source* file URL and source time, so later
cuts keep it right; ``planned_thumbnail`` maps it through the edit to a time in the output (or
``None`` when that moment was cut, and the default applies). The title is drawn with ``drawtext``
in DejaVu Sans Bold, white with a black outline, centred line by line in the lower third (near
the top instead when the timeline burns captions in at the bottom, so the two do not collide).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import textwrap
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import opentimelineio as otio

from tilework.errors import MediaError, ValidationError
from tilework.media.runner import FFmpegRunner
from tilework.media.timeline import NAMESPACE, clip_segments, plain, url_to_path

DEFAULT_AT_S = 1.0
THUMBNAIL_KEY = "thumbnail"
TITLE_FONT = "DejaVu Sans:style=Bold"
TITLE_MAX_LINES = 3
_FONT_FILES = (  # where Debian and most distros put it, if fc-match is missing
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
)


TitlePlace = Literal["top", "bottom"]


@dataclass(frozen=True)
class ThumbnailPlan:
    at_s: float | None  # seconds in the output; None: the default moment
    title: str | None
    title_place: TitlePlace = "bottom"


def planned_thumbnail(tl: otio.schema.Timeline) -> ThumbnailPlan:
    """The Thumbnail tile's choice mapped through the edit to output time (see module doc)."""
    raw = plain(tl.metadata).get(NAMESPACE, {}).get(THUMBNAIL_KEY)
    if not isinstance(raw, dict):
        return ThumbnailPlan(None, None)
    title = raw.get("title")
    title = title.strip() if isinstance(title, str) and title.strip() else None
    return ThumbnailPlan(_output_time(tl, raw), title, _title_place(tl))


def _title_place(tl: otio.schema.Timeline) -> TitlePlace:
    """The lower third, unless burned-in captions are at the bottom (their default)."""
    captions = plain(tl.metadata).get(NAMESPACE, {}).get("captions")
    if isinstance(captions, dict) and captions.get("position", "bottom") == "bottom":
        return "top"
    return "bottom"


def _output_time(tl: otio.schema.Timeline, raw: dict[str, Any]) -> float | None:
    url, source_s = raw.get("source_url"), raw.get("source_time_s")
    if not isinstance(url, str) or not isinstance(source_s, int | float):
        return None
    try:
        path = url_to_path(url)
    except ValidationError:
        return None
    for segment in clip_segments(tl):
        end_s = segment.start_s + segment.duration_s
        if segment.path == path and segment.start_s <= source_s < end_s:
            return segment.timeline_start_s + (float(source_s) - segment.start_s)
    return None  # that moment was cut


@cache
def title_font() -> str | None:
    """DejaVu Sans Bold's file, as fontconfig finds it (or where distros put it)."""
    fc_match = shutil.which("fc-match")
    if fc_match is not None:
        try:
            found = subprocess.run(
                [fc_match, "-f", "%{file}", TITLE_FONT],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            ).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            found = ""
        if found and Path(found).is_file():
            return found
    return next((path for path in _FONT_FILES if Path(path).is_file()), None)


def filter_value(value: str) -> str:
    """``value`` escaped for a filter option inside a filtergraph (ffmpeg's two levels)."""
    option_level = re.sub(r"([\\':])", r"\\\1", value)
    return re.sub(r"([\\'\[\],;])", r"\\\1", option_level)


def _title_lines(title: str, width: int, height: int) -> tuple[list[str], int]:
    """Wrapped lines and a font size: as large as fits ``TITLE_MAX_LINES`` lines in the frame."""
    size = max(10, round(min(height / 9, width / 8)))
    while True:
        per_line = max(4, int(width * 0.9 / (size * 0.62)))  # DejaVu Bold: ~0.62 em a char
        lines = textwrap.wrap(title, per_line, break_long_words=True) or [title]
        if len(lines) <= TITLE_MAX_LINES or size <= 10:
            break
        size = max(10, round(size * 0.85))
    if len(lines) > TITLE_MAX_LINES:
        lines = [*lines[: TITLE_MAX_LINES - 1], textwrap.shorten(" ".join(lines[2:]), per_line)]
    return lines, size


def title_filters(title: str, width: int, height: int, place: TitlePlace = "bottom") -> str:
    """``drawtext`` filters writing ``title`` centred, in the lower third or near the top."""
    lines, size = _title_lines(title, width, height)
    font = title_font()
    font_arg = f"fontfile={filter_value(font)}" if font else "font=Sans"
    step = round(size * 1.25)
    margin = round(height * 0.08)
    top = margin if place == "top" else height - margin - step * len(lines)
    border = max(2, size // 12)
    return ",".join(
        f"drawtext={font_arg}:expansion=none:text={filter_value(line)}:fontsize={size}:"
        f"fontcolor=white:borderw={border}:bordercolor=black:"
        f"x=(w-text_w)/2:y={top + index * step}"
        for index, line in enumerate(lines)
    )


def _thumbnail_size(
    runner: FFmpegRunner, video: Path, width: int, size: tuple[int, int] | None
) -> tuple[int, int]:
    """The size ``scale='min(width,iw)':-2`` gives (for laying the title out), from the video's
    ``size`` when the caller knows it, else from a probe."""
    if size is None:
        streams = runner.probe_json(video).get("streams") or []
        picture: dict[str, Any] = next((s for s in streams if s.get("codec_type") == "video"), {})
        size = int(picture.get("width") or width), int(picture.get("height") or width)
    source_w, source_h = size
    out_w = min(width, source_w)
    return out_w, max(2, round(source_h * out_w / source_w / 2) * 2)


def _args(video: Path, out: Path, at_s: float, width: int, title_chain: str) -> list[str]:
    picture = f"scale='min({width},iw)':-2{title_chain},format=yuvj420p"
    return [
        *("-ss", f"{max(0.0, at_s):.3f}", "-i", str(video.absolute())),
        *("-frames:v", "1", "-vf", picture),
        *("-q:v", "3", "-f", "image2", "-update", "1", str(out.absolute())),
    ]


def extract_thumbnail(
    runner: FFmpegRunner,
    video: Path,
    out: Path,
    at_s: float | None = None,
    width: int = 640,
    title: str | None = None,
    title_place: TitlePlace = "bottom",
    size: tuple[int, int] | None = None,
) -> Path:
    """Write a JPEG of the frame at ``at_s`` (default: 1 s, or the middle of a shorter video),
    with ``title`` drawn over it when given (``size``: the video's frame, if known, spares
    probing it)."""
    if at_s is None:
        duration = float((runner.probe_json(video).get("format") or {}).get("duration") or 0)
        at_s = min(DEFAULT_AT_S, duration / 2)
    title_chain = ""
    if title:
        out_w, out_h = _thumbnail_size(runner, video, width, size)
        title_chain = "," + title_filters(title, out_w, out_h, title_place)
    out.unlink(missing_ok=True)
    runner.run(_args(video, out, at_s, width, title_chain), short=True)
    if not out.exists() or out.stat().st_size == 0:  # seeked past the last frame
        runner.run(_args(video, out, 0.0, width, title_chain), short=True)
    if not out.exists() or out.stat().st_size == 0:
        raise MediaError(f"{video.name}: no frame to make a thumbnail from")
    return out
