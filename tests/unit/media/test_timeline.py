"""Timeline conventions and edits, without ffmpeg."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest

from tests.support.media import info, timeline_of
from tilework.errors import ValidationError
from tilework.media.timeline import (
    clip_segments,
    duration_s,
    path_to_url,
    relink,
    render_hints,
    source_timeline,
    timeline_from_json,
    timeline_to_json,
    trim,
    url_to_path,
)

A = Path("/media/a clip.mp4")
B = Path("/media/b#2.mp4")


def test_source_timeline_follows_the_conventions() -> None:
    tl = source_timeline(A, info(4.0), start_ms=None, end_ms=None, name="input 0")
    video, audio = tl.tracks
    assert (video.kind, audio.kind) == (otio.schema.TrackKind.Video, otio.schema.TrackKind.Audio)
    clip = video[0]
    assert clip.media_reference.target_url == "file:///media/a%20clip.mp4"
    assert clip.media_reference.available_range.duration.value == 100
    assert clip.source_range.start_time.rate == 25
    assert clip.media_reference.metadata["tilework"]["media_info"]["width"] == 320
    assert isinstance(audio[0], otio.schema.Clip)
    assert tl.metadata["tilework"]["schema"] == 1
    assert duration_s(tl) == 4.0


def test_source_without_audio_gets_a_gap_on_the_audio_track() -> None:
    tl = source_timeline(A, info(2.0, audio=False), start_ms=None, end_ms=None, name="x")
    assert isinstance(tl.tracks[1][0], otio.schema.Gap)
    assert tl.tracks[1][0].duration().to_seconds() == 2.0


def test_source_range_is_clamped_and_snapped_to_frames() -> None:
    tl = source_timeline(A, info(4.0), start_ms=1010, end_ms=60_000, name="x")
    (segment,) = clip_segments(tl)
    assert segment.start_s == pytest.approx(1.0)
    assert segment.duration_s == pytest.approx(3.0)


@pytest.mark.parametrize(
    ("start_ms", "end_ms", "message"),
    [
        (3000, 2000, "before"),
        (2000, 2000, "before"),
        (5000, None, "beyond the end"),
        (-1, None, ">= 0"),
    ],
)
def test_source_range_refusals(start_ms: int, end_ms: int | None, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        source_timeline(A, info(4.0), start_ms=start_ms, end_ms=end_ms, name="x")


def test_a_video_shorter_than_a_frame_says_so() -> None:
    with pytest.raises(ValidationError, match=r"^the video is shorter than one frame \(1 ms\)$"):
        source_timeline(A, info(0.001), start_ms=None, end_ms=None, name="x")


def test_json_round_trip_keeps_everything() -> None:
    tl = timeline_of((A, info(4.0)), (B, info(3.0, audio=False)))
    tl.metadata["tilework"]["render"] = {"width": 1080, "height": 1920}
    again = timeline_from_json(timeline_to_json(tl))
    assert clip_segments(again) == clip_segments(tl)
    assert render_hints(again) == {"width": 1080, "height": 1920}
    assert timeline_to_json(again) == timeline_to_json(tl)


def test_timeline_from_json_refuses_other_objects() -> None:
    clip = otio.schema.Clip(name="c")
    with pytest.raises(ValidationError, match="not an OTIO timeline"):
        timeline_from_json(timeline_to_json(clip))
    with pytest.raises(ValidationError):
        timeline_from_json({"OTIO_SCHEMA": "Nope.1"})


def test_trim_across_two_clips() -> None:
    tl = timeline_of((A, info(4.0)), (B, info(3.0, audio=False)))
    cut = trim(tl, 2.0, 5.6)
    first, second = clip_segments(cut)
    assert (first.path, first.start_s, first.duration_s) == (A, 2.0, 2.0)
    assert (second.path, second.start_s, second.duration_s) == (B, 0.0, 1.6)
    assert duration_s(cut) == pytest.approx(3.6)
    audio = list(cut.tracks[1])
    assert isinstance(audio[0], otio.schema.Clip) and isinstance(audio[1], otio.schema.Gap)
    assert duration_s(tl) == 7.0  # the input is not modified


def test_trim_on_a_clip_boundary_leaves_no_empty_clip() -> None:
    tl = timeline_of((A, info(4.0)), (B, info(3.0)))
    (only,) = clip_segments(trim(tl, 4.0, None))
    assert (only.path, only.start_s, only.duration_s) == (B, 0.0, 3.0)
    assert len(trim(tl, 0, 4.0).tracks[1]) == 1


def test_trim_end_is_clamped_and_refusals() -> None:
    tl = source_timeline(A, info(4.0), start_ms=None, end_ms=None, name="x")
    assert duration_s(trim(tl, 1.0, 99.0)) == 3.0
    with pytest.raises(ValidationError, match="past the end"):
        trim(tl, 4.0, None)
    with pytest.raises(ValidationError, match="after its start"):
        trim(tl, 2.0, 1.0)
    with pytest.raises(ValidationError):
        trim(tl, -1.0, None)


def test_trim_of_a_trimmed_source_counts_from_the_timeline_start() -> None:
    tl = source_timeline(A, info(10.0), start_ms=2000, end_ms=8000, name="x")
    (segment,) = clip_segments(trim(tl, 1.0, 2.0))
    assert (segment.start_s, segment.duration_s) == (3.0, 1.0)


def test_gaps_become_segments_without_media() -> None:
    tl = source_timeline(A, info(2.0), start_ms=None, end_ms=None, name="x")
    tl.tracks[0].append(otio.schema.Gap(duration=otio.opentime.RationalTime(25, 25)))
    segments = clip_segments(tl)
    assert segments[1].path is None and segments[1].duration_s == 1.0


def test_relink_and_urls() -> None:
    tl = source_timeline(A, info(2.0), start_ms=None, end_ms=None, name="x")
    moved = relink(tl, {A: Path("/blobs/renders/1/video.mp4")})
    assert clip_segments(moved)[0].path == Path("/blobs/renders/1/video.mp4")
    assert clip_segments(tl)[0].path == A
    assert url_to_path(path_to_url(B)) == B
    with pytest.raises(ValidationError):
        url_to_path("https://example.com/a.mp4")


def test_trim_snaps_to_whole_frames() -> None:
    tl = source_timeline(A, info(4.0), start_ms=None, end_ms=None, name="x")
    (segment,) = clip_segments(trim(tl, 0.5, 1.01))  # 12.5 → 13 frames, 25.25 → 25
    assert (segment.start_s, segment.duration_s) == (0.52, 0.48)
