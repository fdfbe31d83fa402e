"""Thumbnail: choose the render's cover frame (sharp, a face if there is one) and a title.

A handful of evenly spaced moments of the edit (not the first or last half second) are decoded
in ONE ffmpeg command, one accurate ``-ss`` seek per candidate, as small PNGs. Each is scored by
its sharpness (variance of the Laplacian, relative to the sharpest candidate, so at most 1)
plus ``FACE_BONUS`` when a face is found: with ``prefer_faces`` any frame with a face beats every
frame without one, and the sharpest of them wins. Blank and blurred frames score near zero.

The choice is stored as the source file and source time in
``timeline.metadata["tilework"]["thumbnail"]`` (so later cuts keep it) with the optional
``title``; the render takes the thumbnail from the rendered video at that moment and draws the
title (``media/thumbnail.py``).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import opentimelineio as otio
from pydantic import Field, field_validator

from tilework.analysis.faces import detect_faces
from tilework.errors import MediaError, ValidationError
from tilework.media.runner import FFmpegRunner
from tilework.media.thumbnail import THUMBNAIL_KEY
from tilework.media.timeline import NAMESPACE, Segment, clip_segments, path_to_url, plain
from tilework.tiles.base import Tile, TileContext, TileParams, TileResult

THUMBNAIL_TYPE_ID = "6907b70b-21e8-44c5-95ac-4e0120d4fde9"
EDGE_S = 0.5  # fades in and out often sit in the first and last half second
FACE_BONUS = 1.0  # sharpness is relative to the sharpest (<= 1): any face frame wins
SCORE_WIDTH = 480  # candidates are scored at one width, so sharpness compares across sources


class ThumbnailParams(TileParams):
    title: str | None = Field(
        default=None,
        max_length=120,
        description="Text drawn over the thumbnail (lower third, white with a black outline)",
    )
    candidates: int = Field(
        default=8, ge=1, le=24, description="How many evenly spaced frames are compared"
    )
    prefer_faces: bool = Field(
        default=True, description="Prefer frames with a face over slightly sharper ones"
    )

    @field_validator("title")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        if value is None:
            return None
        cleaned = " ".join(value.split())  # one line: wrapping is the renderer's job
        return cleaned or None


@dataclass(frozen=True)
class Candidate:
    timeline_s: float
    segment: Segment
    source_s: float
    sharpness: float = 0.0
    face: bool = False


def candidate_times(total_s: float, count: int) -> list[float]:
    """``count`` evenly spaced times, away from the first and last ``EDGE_S`` when possible."""
    margin = EDGE_S if total_s > 2 * EDGE_S + 0.2 else 0.0
    usable = total_s - 2 * margin
    return [round(margin + (index + 0.5) * usable / count, 3) for index in range(count)]


def _candidates(segments: list[Segment], times: list[float]) -> list[Candidate]:
    found = []
    for t in times:
        for segment in segments:
            end = segment.timeline_start_s + segment.duration_s
            if segment.path is not None and segment.timeline_start_s <= t < end:
                source_s = segment.start_s + (t - segment.timeline_start_s)
                found.append(Candidate(t, segment, round(source_s, 3)))
                break
    return found


def _decode_args(candidates: list[Candidate], folder: Path) -> list[str]:
    args: list[str] = []
    for candidate in candidates:
        assert candidate.segment.path is not None
        # One decoder thread each: eight decoders of one frame share the cores better that way.
        args += ["-threads", "1", "-an", "-ss", f"{candidate.source_s:.3f}"]
        args += ["-i", str(candidate.segment.path.absolute())]
    for index, _candidate in enumerate(candidates):
        out = folder / f"candidate-{index}.png"
        args += ["-map", f"{index}:v:0", "-frames:v", "1", "-vf", f"scale={SCORE_WIDTH}:-2"]
        args += ["-update", "1", str(out.absolute())]
    return args


def sharpness(image: np.ndarray) -> float:
    """Variance of the Laplacian of the grey picture: high for crisp detail, ~0 for blank."""
    import cv2

    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    return float(cv2.Laplacian(gray, cv2.CV_64F).var())


def _scored(candidates: list[Candidate], folder: Path) -> list[Candidate]:
    import cv2

    scored = []
    for index, candidate in enumerate(candidates):
        image = cv2.imread(str(folder / f"candidate-{index}.png"))
        if image is None:
            continue  # past the end of its source: not a candidate
        scored.append(
            Candidate(
                candidate.timeline_s,
                candidate.segment,
                candidate.source_s,
                sharpness=sharpness(image),
                face=bool(detect_faces(image)),
            )
        )
    return scored


def _best(scored: list[Candidate], prefer_faces: bool) -> Candidate:
    sharpest = max(c.sharpness for c in scored) or 1.0

    def score(candidate: Candidate) -> float:
        bonus = FACE_BONUS if prefer_faces and candidate.face else 0.0
        return candidate.sharpness / sharpest + bonus

    return max(scored, key=score)


class ThumbnailTile(Tile):
    type_id = THUMBNAIL_TYPE_ID
    name = "Thumbnail"
    slug = "thumbnail"
    params_model = ThumbnailParams
    docs_url = "https://tilework.dev/docs/tiles/thumbnail"
    params_docs_url = "https://tilework.dev/docs/tiles/thumbnail#api-info"

    def run(
        self, ctx: TileContext, params: TileParams, timeline: otio.schema.Timeline
    ) -> TileResult:
        assert isinstance(params, ThumbnailParams)
        segments = clip_segments(timeline)
        total = sum(segment.duration_s for segment in segments)
        candidates = _candidates(segments, candidate_times(total, params.candidates))
        if not candidates:
            raise ValidationError("thumbnail: the timeline has no video clip to pick a frame from")
        ctx.work_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="thumbnail-", dir=ctx.work_dir) as tmp:
            folder = Path(tmp)
            FFmpegRunner(ctx.settings).run(_decode_args(candidates, folder), job=ctx.job)
            scored = _scored(candidates, folder)
        if not scored:
            raise MediaError("thumbnail: no frame could be decoded from the timeline")
        best = _best(scored, params.prefer_faces)
        edited = timeline.deepcopy()
        _store(edited, best, params.title)
        ctx.progress(1.0, 0.0)
        return TileResult(timelines=[edited], status_message=_message(best, scored, params))


def _store(tl: otio.schema.Timeline, best: Candidate, title: str | None) -> None:
    assert best.segment.path is not None
    namespace = plain(tl.metadata).get(NAMESPACE, {})
    choice: dict[str, Any] = {
        "source_url": path_to_url(best.segment.path),
        "source_time_s": best.source_s,
        "timeline_time_s": best.timeline_s,  # where it was when chosen (informational)
        "sharpness": round(best.sharpness, 1),
        "face": best.face,
        "title": title,
    }
    namespace[THUMBNAIL_KEY] = choice
    tl.metadata[NAMESPACE] = namespace


def _message(best: Candidate, scored: list[Candidate], params: ThumbnailParams) -> str:
    what = "a face" if best.face else "no face"
    message = f"thumbnail at {best.timeline_s:.2f} s ({what}; best of {len(scored)} frames)"
    if params.title:
        message += f', titled "{params.title}"'
    return message
