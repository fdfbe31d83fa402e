"""Cutting pauses out of a timeline: pure functions on frames, no media.

Silence removal works clip by clip on the ``V1`` track: the clip's source range is compared with
the speech spans of its source (source seconds), every pause longer than ``min_silence_s`` is cut
except ``padding_s`` on each side that touches speech, and the clip is replaced by one clone per
kept range. Clones keep the clip's metadata (a reframe crop path, in source time, still fits each
piece) and its media reference (analyses such as the transcript ride along). ``A1`` is then
rebuilt to mirror ``V1`` item for item, as ``media/timeline.py`` lays timelines out.

Cuts are snapped to whole frames *towards the silence*: a cut never eats into the padding, so
rounding can only keep a little more of a pause, never clip a word.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import opentimelineio as otio

from tilework.media.timeline import (
    RationalTime,
    TimeRange,
    media_info_of,
    to_frames,
    video_track,
)

FrameRange = tuple[int, int]  # [first, last) in frames at the clip's rate
_EPSILON = 1e-6  # seconds → frames: 1.2 s at 25 fps is frame 30, not 29.999…


@dataclass(frozen=True)
class Span:
    start: float  # seconds in the source
    end: float


def merge_spans(spans: Sequence[Span]) -> list[Span]:
    """Sorted spans with overlapping or touching ones joined."""
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: s.start):
        if span.end <= span.start:
            continue
        if merged and span.start <= merged[-1].end:
            merged[-1] = Span(merged[-1].start, max(merged[-1].end, span.end))
        else:
            merged.append(span)
    return merged


def pauses_to_cut(
    start_s: float,
    end_s: float,
    speech: Sequence[Span],
    *,
    min_silence_s: float,
    padding_s: float,
) -> list[Span]:
    """The parts of [start_s, end_s) to remove, in source seconds.

    A pause is a silence between two speech spans, or between a clip edge and speech. Pauses up
    to ``min_silence_s`` are kept whole; longer ones are cut except ``padding_s`` next to speech
    (a clip edge needs no padding). So spans closer than ``2 * padding_s`` are never separated.
    A range with no speech at all is one long pause: all of it goes if it is long enough.
    """
    inside = [
        Span(max(s.start, start_s), min(s.end, end_s))
        for s in merge_spans(speech)
        if s.end > start_s and s.start < end_s
    ]
    if not inside:
        return [Span(start_s, end_s)] if end_s - start_s > min_silence_s + _EPSILON else []
    edges = [start_s, *(x for s in inside for x in (s.start, s.end)), end_s]
    last = len(edges) // 2 - 1
    cuts = []
    for index in range(len(edges) // 2):
        gap_start, gap_end = edges[2 * index], edges[2 * index + 1]
        if gap_end - gap_start <= min_silence_s + _EPSILON:
            continue
        cut_start = gap_start + (padding_s if index > 0 else 0.0)
        cut_end = gap_end - (padding_s if index < last else 0.0)
        if cut_end > cut_start:
            cuts.append(Span(cut_start, cut_end))
    return cuts


def kept_frames(first: int, last: int, rate: float, cuts: Sequence[Span]) -> list[FrameRange]:
    """[first, last) minus ``cuts``, with each cut shrunk to the whole frames inside it."""
    kept = []
    position = first
    for cut in sorted(cuts, key=lambda c: c.start):
        cut_first = max(position, math.ceil(cut.start * rate - _EPSILON))
        cut_last = min(last, math.floor(cut.end * rate + _EPSILON))
        if cut_last <= cut_first:
            continue
        if cut_first > position:
            kept.append((position, cut_first))
        position = cut_last
    if last > position:
        kept.append((position, last))
    return kept


def clip_frames(clip: otio.schema.Clip) -> tuple[int, int, float]:
    """The clip's source range as (first frame, end frame, rate)."""
    span = clip.trimmed_range()
    rate = float(span.duration.rate)
    first = to_frames(float(span.start_time.to_seconds()), rate)
    return first, first + to_frames(float(span.duration.to_seconds()), rate), rate


def split_clip(clip: otio.schema.Clip, kept: Sequence[FrameRange]) -> list[otio.schema.Clip]:
    """One clone of ``clip`` per kept range (metadata and media reference included)."""
    rate = clip_frames(clip)[2]
    pieces = []
    for first, last in kept:
        piece = clip.clone()
        piece.source_range = TimeRange(RationalTime(first, rate), RationalTime(last - first, rate))
        pieces.append(piece)
    return pieces


def replace_video_items(tl: otio.schema.Timeline, items: Sequence[otio.core.Item]) -> None:
    """Make ``items`` the ``V1`` track and rebuild ``A1`` to mirror it."""
    video = video_track(tl)
    if video is None:
        raise ValueError("the timeline has no video track")
    _refill(video, items)
    mirror_audio(tl)


def mirror_audio(tl: otio.schema.Timeline) -> None:
    """Rebuild the first audio track as the twin of ``V1``: a clone of each clip whose source
    has audio, a gap of the same length for everything else."""
    video = video_track(tl)
    audio = next(
        (
            track
            for track in tl.tracks
            if isinstance(track, otio.schema.Track) and track.kind == otio.schema.TrackKind.Audio
        ),
        None,
    )
    if video is None or audio is None:
        return
    _refill(audio, [audio_twin(item) for item in video])


def audio_twin(item: otio.core.Item) -> otio.core.Item:
    if isinstance(item, otio.schema.Clip) and _has_audio(item):
        twin: otio.core.Item = item.clone()
        return twin
    return otio.schema.Gap(source_range=TimeRange(duration=item.trimmed_range().duration))


def _has_audio(clip: otio.schema.Clip) -> bool:
    reference = clip.media_reference
    if not isinstance(reference, otio.schema.ExternalReference):
        return False
    return media_info_of(reference).has_audio


def _refill(track: otio.schema.Track, items: Sequence[otio.core.Item]) -> None:
    for index in reversed(range(len(track))):
        del track[index]
    for item in items:
        track.append(item)


def removed_regions(first: int, last: int, kept: Sequence[FrameRange]) -> int:
    """How many separate stretches of [first, last) are missing from ``kept``."""
    if not kept:
        return 1 if last > first else 0
    holes = sum(1 for (_, end), (start, _) in pairwise(kept) if start > end)
    return holes + (kept[0][0] > first) + (kept[-1][1] < last)
