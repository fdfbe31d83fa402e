"""Loudness pass 1: measure the *edited* audio of a timeline, before the render compiles it.

Two-pass loudnorm needs the loudness of exactly what pass 2 will process: the same cuts, joined
the same way, through the same clean-up filters. So this builds the render's audio skeleton
(one input per cut with accurate seeking, each cut resampled and padded to its exact duration,
``concat``) without any video, which ffmpeg then never decodes, and ends it with
``loudnorm=…:print_format=json`` into the null muxer. loudnorm prints its report at the end of
stderr; ``FFmpegRunner`` hands back the last lines of it.

Given an analysis cache, the measurement is kept there, keyed by the measuring command with each
source file replaced by its content hash (``edit_key``): a re-run that changes only what the
audio does not hear (the captions' colour, the crop) measures nothing again.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import opentimelineio as otio

from tilework.analysis.cache import AnalysisCache, content_hash
from tilework.errors import MediaError
from tilework.media.compile import audio_chain  # the render's own audio skeleton
from tilework.media.graph import FilterGraph, add_segment_input, seconds_arg
from tilework.media.passes.audio import (
    ENHANCE_KEY,
    AudioEnhanceSettings,
    LoudnessMeasurement,
    cleanup_filters,
    edit_has_audio,
    enhance_settings,
    loudnorm_targets,
)
from tilework.media.runner import FFmpegRunner
from tilework.media.timeline import NAMESPACE, Segment, clip_segments, plain
from tilework.workers.port import JobContext

MEASUREMENT_KIND, MEASUREMENT_VERSION = "edit-loudness", "1"
FLOOR = -99.0  # loudnorm's lowest accepted measurement; stands for "-inf" (digital silence)
_FIELDS = ("input_i", "input_tp", "input_lra", "input_thresh", "target_offset")


def parse_loudnorm_json(stderr_lines: list[str] | tuple[str, ...]) -> LoudnessMeasurement:
    """The last JSON object loudnorm printed (its values are strings such as ``"-23.4"``)."""
    text = "\n".join(line.rstrip("\n") for line in stderr_lines)
    start, end = text.rfind("{"), text.rfind("}")
    if start < 0 or end < start:
        raise MediaError("loudness measurement failed: loudnorm printed no report")
    try:
        report = json.loads(text[start : end + 1])
        values = {name: _number(report[name]) for name in _FIELDS}
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise MediaError(
            f"loudness measurement failed: unreadable loudnorm report ({exc})"
        ) from exc
    return LoudnessMeasurement.model_validate(values)


def _number(value: object) -> float:
    number = float(str(value))
    return number if math.isfinite(number) else FLOOR


def _edited_audio(graph: FilterGraph, segments: list[Segment]) -> str:
    """Every cut's sound, exactly as the render lays it out, joined into one label."""
    labels = []
    for index, segment in enumerate(segments):
        source = None  # a gap, or a source without sound: silence, as in the render
        if segment.media_info is not None and segment.media_info.has_audio:
            number = add_segment_input(graph, segment)
            source = None if number is None else f"[{number}:a:0]"
        labels.append(f"[m{index}]")
        graph.add(f"{audio_chain(source, seconds_arg(segment.duration_s))}{labels[-1]}")
    if len(labels) == 1:
        return labels[0]
    graph.add(f"{''.join(labels)}concat=n={len(labels)}:v=0:a=1[medit]")
    return "[medit]"


def _measure_args(segments: list[Segment], settings: AudioEnhanceSettings) -> list[str]:
    graph = FilterGraph()
    edited = _edited_audio(graph, segments)
    chain = [*cleanup_filters(settings), f"{loudnorm_targets(settings)}:print_format=json"]
    graph.add(f"{edited}{','.join(chain)}[measured]")
    return [*graph.inputs, "-filter_complex", graph.script(), "-map", "[measured]"]


def edit_key(runner: FFmpegRunner, args: list[str], sources: list[Path]) -> str:
    """The measurement's identity: the command with each source replaced by its content hash
    (renaming or re-uploading the same bytes matches, other bytes do not) and ffmpeg's version."""
    named = {str(path.absolute()): content_hash(path) for path in sources}
    identity = [runner.ffmpeg_major(), *(named.get(arg, arg) for arg in args)]
    return hashlib.sha256(json.dumps(identity).encode()).hexdigest()[:32]


def measure_edited_audio(
    runner: FFmpegRunner,
    segments: list[Segment],
    settings: AudioEnhanceSettings,
    *,
    job: JobContext | None = None,
    cache: AnalysisCache | None = None,
) -> LoudnessMeasurement:
    """loudnorm's measurement of the edit's sound after the clean-up filters (from ``cache``
    when the same sound was measured before)."""
    args = _measure_args(segments, settings)
    sources = list(dict.fromkeys(s.path for s in segments if s.path is not None))
    key = edit_key(runner, args, sources) if cache is not None and sources else None
    if cache is not None and key is not None:
        cached = cache.get(sources[0], MEASUREMENT_KIND, MEASUREMENT_VERSION, part=key)
        if cached is not None:
            return LoudnessMeasurement.model_validate(cached)
    edited_s = sum(segment.duration_s for segment in segments)
    stats = runner.run([*args, "-f", "null", "-"], job=job, duration_s=edited_s)
    measured = parse_loudnorm_json(stats.stderr_tail)
    if cache is not None and key is not None:
        value = measured.model_dump(mode="json")
        cache.put(sources[0], MEASUREMENT_KIND, MEASUREMENT_VERSION, value, part=key)
    return measured


def with_measured_loudness(
    runner: FFmpegRunner,
    tl: otio.schema.Timeline,
    *,
    job: JobContext | None = None,
    cache: AnalysisCache | None = None,
) -> otio.schema.Timeline:
    """``tl`` itself when it asks for no loudness normalisation (or has no audio), else a copy
    whose ``audio_enhance`` settings carry the pass-1 measurement for the audio pass."""
    settings = enhance_settings(tl.metadata)
    if settings is None:
        return tl
    segments = clip_segments(tl)
    if not edit_has_audio(segments):
        return tl
    measured = measure_edited_audio(runner, segments, settings, job=job, cache=cache)
    copy = tl.deepcopy()
    namespace = plain(copy.metadata).get(NAMESPACE, {})
    namespace[ENHANCE_KEY] = {**namespace[ENHANCE_KEY], "measured": measured.model_dump()}
    copy.metadata[NAMESPACE] = namespace
    return copy
