"""Silence removal without media: which pauses go, frame snapping, and the rebuilt tracks."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest
from pydantic import ValidationError as PydanticError

from tests.support.media import info, timeline_of
from tilework.analysis.speech import SpeechSpan, parse_silences, speech_between
from tilework.media.cuts import (
    Span,
    clip_frames,
    kept_frames,
    merge_spans,
    pauses_to_cut,
    removed_regions,
    replace_video_items,
    split_clip,
)
from tilework.media.timeline import clip_segments, duration_s, source_timeline, video_track
from tilework.tiles.registry import default_registry
from tilework.tiles.silence_removal import (
    SILENCE_REMOVAL_TYPE_ID,
    SilenceRemovalParams,
    SilenceRemovalTile,
)

A = Path("/media/a.mp4")
B = Path("/media/b.mp4")


def cuts(start: float, end: float, speech: list[Span], **kw: float) -> list[tuple[float, float]]:
    found = pauses_to_cut(
        start,
        end,
        speech,
        min_silence_s=kw.get("min_silence_s", 0.5),
        padding_s=kw.get("padding_s", 0.15),
    )
    return [(round(c.start, 6), round(c.end, 6)) for c in found]


def test_long_pauses_are_cut_keeping_padding_next_to_speech() -> None:
    speech = [Span(1.0, 2.0), Span(3.0, 4.0)]
    # lead-in, the 1 s pause and the tail go; clip edges need no padding
    assert cuts(0.0, 5.0, speech) == [(0.0, 0.85), (2.15, 2.85), (4.15, 5.0)]


def test_short_pauses_are_kept_whole() -> None:
    speech = [Span(0.0, 1.0), Span(1.4, 2.0), Span(2.6, 3.0)]
    assert cuts(0.0, 3.0, speech) == [(2.15, 2.45)]  # 0.4 s kept, 0.6 s cut
    assert cuts(0.0, 3.0, speech, min_silence_s=0.6) == []  # "longer than", not "as long as"


def test_padding_merges_close_spans() -> None:
    # a 0.25 s pause is long enough to cut, but padding on both sides leaves nothing to cut
    speech = [Span(0.0, 1.0), Span(1.25, 2.0)]
    assert cuts(0.0, 2.0, speech, min_silence_s=0.2, padding_s=0.15) == []
    assert cuts(0.0, 2.0, speech, min_silence_s=0.2, padding_s=0.1) == [(1.1, 1.15)]
    assert merge_spans([Span(2, 3), Span(0, 1), Span(0.5, 2), Span(5, 5)]) == [Span(0, 3)]


def test_speech_outside_the_clip_is_ignored_and_silent_clips_go_whole() -> None:
    speech = [Span(0.0, 1.0), Span(3.0, 8.0)]
    assert cuts(0.5, 4.0, speech) == [(1.15, 2.85)]  # speech crosses both clip edges
    assert cuts(1.2, 2.8, speech) == [(1.2, 2.8)]  # all pause: everything goes
    assert cuts(1.2, 1.6, speech) == []  # a pause shorter than min_silence stays


def test_cuts_snap_to_whole_frames_towards_the_silence() -> None:
    # 1.01 s → frame 25.25 → the cut starts at 26; 2.03 s → 50.75 → it ends at 50
    assert kept_frames(0, 100, 25.0, [Span(1.01, 2.03)]) == [(0, 26), (50, 100)]
    # exact frame times stay exact despite float error (1.2 * 25 = 29.999…)
    assert kept_frames(0, 100, 25.0, [Span(1.2, 2.4)]) == [(0, 30), (60, 100)]
    # a cut thinner than a frame does nothing; cuts at the clip edges drop those ends
    assert kept_frames(10, 100, 25.0, [Span(1.01, 1.03)]) == [(10, 100)]
    assert kept_frames(10, 100, 25.0, [Span(0.4, 1.0), Span(3.0, 4.0)]) == [(25, 75)]
    assert kept_frames(10, 100, 25.0, [Span(0.0, 9.0)]) == []


def test_removed_regions_counts_the_holes() -> None:
    assert removed_regions(0, 100, [(0, 100)]) == 0
    assert removed_regions(0, 100, [(10, 40), (50, 100)]) == 2
    assert removed_regions(0, 100, [(0, 40), (50, 90)]) == 2
    assert removed_regions(0, 100, []) == 1


def test_split_clips_keep_their_metadata_and_a1_mirrors_v1() -> None:
    tl = timeline_of((A, info(6.0)), (B, info(2.0, audio=False)))
    first = video_track(tl)[0]  # type: ignore[index]
    first.metadata["tilework"] = {"reframe": {"path": [[0.0, 10], [6.0, 90]]}}
    start, end, rate = clip_frames(first)
    assert (start, end, rate) == (0, 150, 25.0)
    pieces = split_clip(first, [(0, 25), (50, 100)])
    second = video_track(tl)[1].clone()  # type: ignore[index]
    replace_video_items(tl, [*pieces, otio.schema.Gap(source_range=_range(10)), second])

    segments = clip_segments(tl)
    assert [(s.start_s, s.duration_s, s.timeline_start_s) for s in segments] == [
        (0.0, 1.0, 0.0),
        (2.0, 2.0, 1.0),
        (0.0, 0.4, 3.0),
        (0.0, 2.0, 3.4),
    ]
    assert segments[1].clip_metadata["reframe"] == {"path": [[0.0, 10], [6.0, 90]]}
    assert duration_s(tl) == pytest.approx(5.4)
    video, audio = tl.tracks
    assert len(audio) == len(video) == 4
    for picture, sound in zip(video, audio, strict=True):
        assert sound.trimmed_range().duration == picture.trimmed_range().duration
    assert [type(item).__name__ for item in audio] == ["Clip", "Clip", "Gap", "Gap"]
    assert audio[1].source_range == video[1].source_range  # linked sound, same cut


def _range(frames: int) -> otio.opentime.TimeRange:
    return otio.opentime.TimeRange(duration=otio.opentime.RationalTime(frames, 25))


def test_silencedetect_reports_become_speech_spans() -> None:
    lines = [
        "frame:56   pts:57344   pts_time:1.19467",
        "lavfi.silence_start=1.14504",
        "lavfi.silence_end=2.34592",
        "lavfi.silence_duration=1.20087",
        "lavfi.silence_start=-0.01",
        "lavfi.silence_end=0.3",
        "lavfi.silence_start=6.23494",  # still silent at the end of the file
    ]
    silences = parse_silences(lines, 7.7)
    assert silences == [(1.14504, 2.34592), (-0.01, 0.3), (6.23494, 7.7)]
    assert speech_between(silences, 7.7) == [
        SpeechSpan(start=0.3, end=1.145),
        SpeechSpan(start=2.3459, end=6.2349),
    ]
    assert speech_between([], 2.0) == [SpeechSpan(start=0.0, end=2.0)]
    assert speech_between([(0.0, 2.0)], 2.0) == []


def test_silence_removal_params_have_defaults_and_bounds() -> None:
    tile = SilenceRemovalTile()
    params = tile.parse_params({})
    assert params == SilenceRemovalParams(
        min_silence_ms=500, padding_ms=150, noise_db=-35.0, detector="energy"
    )
    for bad in (
        {"min_silence_ms": 50},
        {"min_silence_ms": 60_000},
        {"padding_ms": -1},
        {"noise_db": 0},
        {"detector": "whisper"},
        {"silence": 1},
    ):
        with pytest.raises(PydanticError):
            tile.parse_params(bad)
    schema = tile.params_schema()["properties"]
    assert schema["min_silence_ms"]["default"] == 500 and schema["detector"]["enum"] == [
        "energy",
        "vad",
    ]
    registry = default_registry()
    assert registry.get(SILENCE_REMOVAL_TYPE_ID).slug == "silence-removal"
    assert registry.get("0e5515de-4daf-436c-959f-e9a1e70c1584").name == "Silence Removal"


def test_source_timeline_shape_is_what_the_cuts_expect() -> None:
    tl = source_timeline(A, info(4.0), start_ms=1000, end_ms=3000, name="x")
    assert clip_frames(video_track(tl)[0]) == (25, 75, 25.0)  # type: ignore[index]
