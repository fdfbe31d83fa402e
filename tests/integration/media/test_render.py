"""Trim and render real clips end to end: durations, sizes, audio, thumbnail and Premiere zip."""

from __future__ import annotations

import zipfile
from pathlib import Path

import opentimelineio as otio
import pytest

from tests.support.media import (
    ffprobe,
    requires_ffmpeg,
    rerun_whole_command,
    stream,
    stream_digests,
    tile_context,
    timeline_of,
)
from tilework.config import Settings
from tilework.media.export import read_timeline_zip
from tilework.media.probe import probe
from tilework.media.runner import FFmpegRunner
from tilework.media.timeline import clip_segments, duration_s, source_timeline
from tilework.tiles.render import RenderParams, RenderTile, render_timeline
from tilework.tiles.trim import TrimTile

pytestmark = requires_ffmpeg


def test_trim_then_render_gives_the_right_duration_and_size(
    settings: Settings, runner: FFmpegRunner, clips: dict[str, Path], tmp_path: Path
) -> None:
    info = probe(runner, clips["tone"])
    tl = source_timeline(clips["tone"], info, start_ms=None, end_ms=None, name="in")
    progress: list[float] = []
    ctx = tile_context(settings, tmp_path / "work", progress=lambda f, _eta: progress.append(f))
    trim = TrimTile()
    trimmed = trim.run(ctx, trim.parse_params({"start_seconds": 0.5, "end_seconds": 2.0}), tl)
    render = RenderTile()
    params = render.parse_params({"resolution": "240x136", "quality": "low", "preset": "ultrafast"})
    result = render.run(ctx, params, trimmed.timelines[0])
    files = result.rendered
    assert files is not None
    data = ffprobe(files.video)
    assert float(data["format"]["duration"]) == pytest.approx(1.5, abs=0.1)
    video = stream(data, "video")
    assert video is not None and (video["width"], video["height"]) == (240, 136)
    assert video["pix_fmt"] == "yuv420p" and video["sample_aspect_ratio"] in ("1:1", None)
    assert files.media_info["duration_s"] == pytest.approx(1.5, abs=0.1)
    assert files.ffmpeg_command[0] == "ffmpeg" and str(files.video) in files.ffmpeg_command
    assert progress and progress[-1] == 1.0
    # downstream nodes continue from the rendered file
    (segment,) = clip_segments(result.timelines[0])
    assert segment.path == files.video
    assert duration_s(result.timelines[0]) == pytest.approx(1.5, abs=0.05)


def test_a_source_without_audio_renders_with_an_aac_track(
    settings: Settings, runner: FFmpegRunner, clips: dict[str, Path], tmp_path: Path
) -> None:
    info = probe(runner, clips["silent"])
    tl = source_timeline(clips["silent"], info, start_ms=None, end_ms=None, name="in")
    files = render_timeline(tile_context(settings, tmp_path), tl, RenderParams(preset="ultrafast"))
    audio = stream(ffprobe(files.video), "audio")
    assert audio is not None and audio["codec_name"] == "aac" and audio["sample_rate"] == "48000"


def test_two_sources_of_different_sizes_concatenate(
    settings: Settings, runner: FFmpegRunner, clips: dict[str, Path], tmp_path: Path
) -> None:
    tl = timeline_of(
        (clips["tone"], probe(runner, clips["tone"])),
        (clips["silent"], probe(runner, clips["silent"])),
    )
    ctx = tile_context(settings, tmp_path)
    files = render_timeline(ctx, tl, RenderParams(resolution="480p", preset="ultrafast"))
    data = ffprobe(files.video)
    video = stream(data, "video")
    assert video is not None and (video["width"], video["height"]) == (854, 480)
    assert float(data["format"]["duration"]) == pytest.approx(5.0, abs=0.1)
    assert stream(data, "audio") is not None
    # picture and sound rendered apart (one source has no sound: silence) and joined by stream
    # copy are the packets of the one command the render shows
    whole = rerun_whole_command(files.ffmpeg_command, tmp_path / "whole.mp4")
    assert stream_digests(files.video) == stream_digests(whole)
    assert sorted(p.name for p in files.video.parent.glob("*.m*4*")) == ["video.mp4"]


def test_thumbnail_and_premiere_zip(
    settings: Settings, runner: FFmpegRunner, clips: dict[str, Path], tmp_path: Path
) -> None:
    tl = timeline_of(
        (clips["tone"], probe(runner, clips["tone"])),
        (clips["silent"], probe(runner, clips["silent"])),
    )
    trim = TrimTile()
    ctx = tile_context(settings, tmp_path)
    edit = trim.run(ctx, trim.parse_params({"start_seconds": 1, "end_seconds": 4}), tl)
    files = render_timeline(ctx, edit.timelines[0], RenderParams(preset="ultrafast"))
    assert files.thumbnail is not None and files.thumbnail.read_bytes()[:3] == b"\xff\xd8\xff"
    assert files.timeline_zip is not None
    with zipfile.ZipFile(files.timeline_zip) as archive:
        assert {"timeline.xml", "timeline.otio"} <= set(archive.namelist())
        xml = archive.read("timeline.xml").decode()
    assert "<width>320</width>" in xml and "<height>180</height>" in xml
    back = read_timeline_zip(files.timeline_zip)
    clips_back = [item for item in back.tracks[0] if isinstance(item, otio.schema.Clip)]
    assert len(clips_back) == 2  # the edit, cut into the sources, not the render
    first, second = (clip.source_range for clip in clips_back)
    assert (first.start_time.value, first.duration.value) == (25, 50)  # 1 s → 3 s of tone
    assert (second.start_time.value, second.duration.value) == (0, 25)  # 0 → 1 s of silent
    assert clips_back[0].media_reference.target_url == clips["tone"].absolute().as_uri()
