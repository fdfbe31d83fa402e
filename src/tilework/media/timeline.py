"""Our conventions for OpenTimelineIO timelines, and the few edits tiles share.

Tiles edit timelines, never files; only a render compiles a timeline into one ffmpeg command.
So every timeline follows the same shape, which the compiler and the Premiere export rely on:

- ``timeline.tracks`` holds one video track (``kind=Video``, named ``V1``) and one audio track
  (``kind=Audio``, named ``A1``). The audio track mirrors the video track item for item (the
  audio is linked to the picture); where the source has no audio it holds a ``Gap`` instead.
  The video track is the edit: ``clip_segments`` reads it, gaps included (black + silence).
- Each clip has an ``ExternalReference`` with ``target_url`` an absolute, percent-encoded
  ``file:///`` URL and ``available_range`` covering the whole source; ``source_range`` is in
  ``RationalTime`` at the source's frame rate, snapped to whole frames.
- The source's probed ``MediaInfo`` (``model_dump(mode="json")``) lives in the reference's
  metadata under ``metadata["tilework"]["media_info"]``.
- Timeline-level render hints live in ``timeline.metadata["tilework"]``: ``"schema": 1`` and an
  optional ``"render"`` dict with ``width``/``height``/``fps`` that a tile changing the frame (a
  reframe, say) sets; an explicit render resolution still wins over it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import opentimelineio as otio

from tilework.errors import ValidationError
from tilework.media.probe import MediaInfo

NAMESPACE = "tilework"
# Keys of source analyses on media references (``reference.metadata["tilework"][key]``).
TRANSCRIPT_KEY = "transcript"  # analysis/asr.py Transcript, source seconds
SPEECH_KEY = "speech"  # analysis/speech.py speech spans, source seconds
SCHEMA_VERSION = 1
DEFAULT_RATE = 25.0
RationalTime = otio.opentime.RationalTime
TimeRange = otio.opentime.TimeRange


@dataclass(frozen=True)
class Segment:
    """One piece of the edit, in order: ``path is None`` means a gap (black and silence).

    ``start_s`` is in the source, ``timeline_start_s`` where the piece sits in the edit. The two
    metadata dicts are the ``tilework`` namespaces of the clip (per-cut effects such as a crop
    path) and of its media reference (analysis of the source such as the transcript).
    """

    path: Path | None
    start_s: float
    duration_s: float
    media_info: MediaInfo | None
    timeline_start_s: float = 0.0
    clip_metadata: dict[str, Any] = field(default_factory=dict, compare=False)
    reference_metadata: dict[str, Any] = field(default_factory=dict, compare=False)


def to_frames(seconds: float, rate: float) -> int:
    """Nearest whole frame (halves round up, unlike ``round``)."""
    return math.floor(seconds * rate + 0.5)


def path_to_url(path: Path) -> str:
    return Path(path).absolute().as_uri()


def url_to_path(url: str) -> Path:
    parsed = urlparse(url)
    if parsed.scheme != "file":
        raise ValidationError(f"timeline media must be a file:// URL, got {url!r}")
    return Path(unquote(parsed.path))


def source_timeline(
    path: Path, info: MediaInfo, *, start_ms: int | None, end_ms: int | None, name: str
) -> otio.schema.Timeline:
    """A timeline holding ``path`` from ``start_ms`` to ``end_ms`` (clamped to the source)."""
    rate = info.fps if info.fps > 0 else DEFAULT_RATE
    total = to_frames(info.duration_s, rate)
    first, last = _frame_range(info.duration_s, rate, start_ms, end_ms)
    available = TimeRange(RationalTime(0, rate), RationalTime(total, rate))
    used = TimeRange(RationalTime(first, rate), RationalTime(last - first, rate))
    reference = otio.schema.ExternalReference(
        target_url=path_to_url(path), available_range=available
    )
    reference.metadata[NAMESPACE] = {"media_info": info.model_dump(mode="json")}
    video, audio = _empty_tracks()
    video.append(
        otio.schema.Clip(name=Path(path).name, media_reference=reference, source_range=used)
    )
    audio.append(_audio_twin(video[0], info))
    timeline = otio.schema.Timeline(name=name)
    timeline.tracks.extend([video, audio])
    timeline.metadata[NAMESPACE] = {"schema": SCHEMA_VERSION}
    return timeline


def _frame_range(
    duration_s: float, rate: float, start_ms: int | None, end_ms: int | None
) -> tuple[int, int]:
    total = to_frames(duration_s, rate)
    if (start_ms is not None and start_ms < 0) or (end_ms is not None and end_ms < 0):
        raise ValidationError("input_clip_start_ms and input_clip_end_ms must be >= 0")
    if start_ms is not None and end_ms is not None and start_ms >= end_ms:
        raise ValidationError("input_clip_start_ms must be before input_clip_end_ms")
    first = to_frames((start_ms or 0) / 1000, rate)
    last = total if end_ms is None else min(total, to_frames(end_ms / 1000, rate))
    if first >= total:
        length = f"{round(duration_s * 1000)} ms"
        if start_ms is None:  # nothing asked for: the video itself has no whole frame
            raise ValidationError(f"the video is shorter than one frame ({length})")
        raise ValidationError(
            f"input_clip_start_ms ({start_ms}) is beyond the end of the video ({length})"
        )
    if last <= first:
        raise ValidationError("the input clip range is shorter than one frame")
    return first, last


def _empty_tracks() -> tuple[otio.schema.Track, otio.schema.Track]:
    video = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    audio = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
    return video, audio


def _audio_twin(clip: otio.schema.Clip, info: MediaInfo) -> otio.core.Item:
    if not info.has_audio:
        return otio.schema.Gap(source_range=clip.source_range)
    twin = clip.clone()
    return twin


def timeline_to_json(tl: otio.schema.Timeline) -> dict[str, Any]:
    """The OTIO JSON of ``tl`` as a plain dict (what the engine stores)."""
    data = json.loads(tl.to_json_string())
    assert isinstance(data, dict)
    return data


def timeline_from_json(d: Mapping[str, Any]) -> otio.schema.Timeline:
    try:
        loaded = otio.adapters.read_from_string(json.dumps(d), adapter_name="otio_json")
    except Exception as exc:  # OTIO raises several exception types on bad JSON
        raise ValidationError(f"not an OTIO timeline: {exc}") from exc
    if not isinstance(loaded, otio.schema.Timeline):
        raise ValidationError(f"not an OTIO timeline: got {type(loaded).__name__}")
    return loaded


def duration_s(tl: otio.schema.Timeline) -> float:
    return float(tl.duration().to_seconds())


def timeline_rate(tl: otio.schema.Timeline) -> float:
    """The rate edits snap to: the first video clip's source rate."""
    for clip in _items(video_track(tl)):
        if isinstance(clip, otio.schema.Clip):
            return float(clip.trimmed_range().duration.rate)
    return DEFAULT_RATE


def trim(
    tl: otio.schema.Timeline, start_s: float, end_s: float | None = None
) -> otio.schema.Timeline:
    """Keep the timeline range [start_s, end_s) (end clamped to the duration), snapped to frames."""
    total = duration_s(tl)
    end = total if end_s is None else min(end_s, total)
    if start_s < 0:
        raise ValidationError("the trim start must be >= 0")
    if start_s >= total:
        raise ValidationError(f"the trim start ({start_s:g} s) is past the end ({total:.3f} s)")
    if end <= start_s:
        raise ValidationError("the trim end must be after its start")
    rate = timeline_rate(tl)
    first, last = to_frames(start_s, rate), to_frames(end, rate)
    if last <= first:
        raise ValidationError("the trimmed range is shorter than one frame")
    keep = TimeRange(RationalTime(first, rate), RationalTime(last - first, rate))
    trimmed = otio.algorithms.timeline_trimmed_to_range(tl, keep)
    _drop_empty_items(trimmed)
    return trimmed


def _drop_empty_items(tl: otio.schema.Timeline) -> None:
    for track in tl.tracks:
        for index in reversed(range(len(track))):
            item = track[index]
            if isinstance(item, otio.core.Item) and item.duration().value <= 0:
                del track[index]


def video_track(tl: otio.schema.Timeline) -> otio.schema.Track | None:
    for track in tl.tracks:
        if isinstance(track, otio.schema.Track) and track.kind == otio.schema.TrackKind.Video:
            return track
    return None


def _items(track: otio.schema.Track | None) -> Iterator[Any]:
    return iter(track) if track is not None else iter(())


def clip_segments(tl: otio.schema.Timeline) -> list[Segment]:
    """The video track as (path, source start, duration, media info) pieces, for the compiler."""
    segments = []
    position = 0.0
    for item in _items(video_track(tl)):
        if isinstance(item, otio.schema.Transition):
            raise ValidationError("transitions are not supported by the renderer yet")
        if item.duration().to_seconds() <= 0:
            continue
        segments.append(_segment(item, position))
        position += float(item.duration().to_seconds())
    return segments


def _segment(item: Any, position: float) -> Segment:
    span = item.trimmed_range()
    duration = float(span.duration.to_seconds())
    if isinstance(item, otio.schema.Gap):
        return Segment(None, 0.0, duration, None, timeline_start_s=position)
    if not isinstance(item, otio.schema.Clip):
        raise ValidationError(f"unsupported timeline item {type(item).__name__}")
    reference = item.media_reference
    if not isinstance(reference, otio.schema.ExternalReference):
        raise ValidationError(f"clip {item.name!r} has no file reference")
    return Segment(
        path=url_to_path(reference.target_url),
        start_s=float(span.start_time.to_seconds()),
        duration_s=duration,
        media_info=media_info_of(reference),
        timeline_start_s=position,
        clip_metadata=_namespace(item.metadata),
        reference_metadata=_namespace(reference.metadata),
    )


def _namespace(metadata: Any) -> dict[str, Any]:
    value = plain(metadata).get(NAMESPACE, {})
    return value if isinstance(value, dict) else {}


def namespace_value(metadata: Any, key: str) -> Any:
    """``metadata["tilework"][key]`` as plain data, converting only that entry: a reference's
    namespace also holds its transcript and faces, too big to convert on every look-up."""
    namespace: Any = metadata.get(NAMESPACE) if hasattr(metadata, "get") else None
    return plain(namespace.get(key)) if hasattr(namespace, "get") else None


def media_info_of(reference: otio.schema.ExternalReference) -> MediaInfo:
    stored = namespace_value(reference.metadata, "media_info")
    if not isinstance(stored, dict):
        raise ValidationError(f"{reference.target_url}: no tilework media_info in the reference")
    return MediaInfo.model_validate(stored)


def render_hints(tl: otio.schema.Timeline) -> dict[str, Any]:
    """``timeline.metadata["tilework"]["render"]`` as a plain dict (empty if unset)."""
    hints = namespace_value(tl.metadata, "render")
    return hints if isinstance(hints, dict) else {}


def relink(tl: otio.schema.Timeline, moved: Mapping[Path, Path]) -> otio.schema.Timeline:
    """A copy of ``tl`` whose references to the keys of ``moved`` point at the values."""
    urls = {path_to_url(old): path_to_url(new) for old, new in moved.items()}
    copy = tl.deepcopy()
    for clip in copy.find_clips():
        reference = clip.media_reference
        if isinstance(reference, otio.schema.ExternalReference) and reference.target_url in urls:
            reference.target_url = urls[reference.target_url]
    return copy


def plain(value: Any) -> Any:
    """OTIO's AnyDictionary/AnyVector (recursively) as plain dicts and lists."""
    if isinstance(value, Mapping) or hasattr(value, "items"):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple) or type(value).__name__ == "AnyVector":
        return [plain(v) for v in value]
    return value
