"""Audio Enhance on real renders: two-pass loudnorm lands on the target, measured by ebur128."""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace
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
)
from tests.support.talking import short_talking_clip
from tilework.analysis.cache import AnalysisCache
from tilework.config import Settings
from tilework.media.loudness import measure_edited_audio, with_measured_loudness
from tilework.media.passes.audio import AudioEnhanceSettings
from tilework.media.probe import probe
from tilework.media.runner import FFmpegRunner, RunStats
from tilework.media.samples import TalkingClip, make_sample_clip
from tilework.media.timeline import clip_segments, source_timeline
from tilework.tiles.audio_enhance import AudioEnhanceTile
from tilework.tiles.render import RenderParams, render_timeline
from tilework.tiles.silence_removal import SilenceRemovalTile

pytestmark = requires_ffmpeg


@pytest.fixture(scope="module")
def talking(tmp_path_factory: pytest.TempPathFactory) -> TalkingClip:
    return short_talking_clip(tmp_path_factory.getbasetemp())


@pytest.fixture
def source(talking: TalkingClip, runner: FFmpegRunner) -> otio.schema.Timeline:
    info = probe(runner, talking.path)
    return source_timeline(talking.path, info, start_ms=None, end_ms=None, name="talk")


def integrated_lufs(path: Path) -> float:
    """ffmpeg ebur128's integrated loudness of ``path`` (independent of the code under test)."""
    stderr = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-map", "0:a:0",
         "-af", "ebur128", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    ).stderr  # fmt: skip
    summary = stderr[stderr.rindex("Summary:") :]
    match = re.search(r"I:\s+(-?[\d.]+) LUFS", summary)
    assert match is not None, summary
    return float(match.group(1))


@pytest.mark.parametrize(
    ("params", "cut_pauses"),
    [
        ({"target_lufs": -14}, False),
        ({"target_lufs": -23, "highpass_hz": 120, "denoise": True}, True),
    ],
    ids=["-14 LUFS on the source", "-23 LUFS, denoised, after silence removal"],
)
def test_the_render_lands_within_one_lu_of_the_target(
    settings: Settings,
    source: otio.schema.Timeline,
    tmp_path: Path,
    params: dict[str, object],
    cut_pauses: bool,
) -> None:
    ctx = tile_context(settings, tmp_path / "work")
    timeline = source
    if cut_pauses:
        silence = SilenceRemovalTile()
        timeline = silence.run(ctx, silence.parse_params({}), timeline).timelines[0]
        assert len(clip_segments(timeline)) == 3
    enhance = AudioEnhanceTile()
    enhanced = enhance.run(ctx, enhance.parse_params(params), timeline).timelines[0]
    files = render_timeline(ctx, enhanced, RenderParams(preset="ultrafast", quality="low"))

    target = float(params["target_lufs"])  # type: ignore[arg-type]
    assert integrated_lufs(files.video) == pytest.approx(target, abs=1.0)
    audio = stream(ffprobe(files.video), "audio")
    assert audio is not None and audio["sample_rate"] == "48000"
    command = " ".join(files.ffmpeg_command)
    assert f"loudnorm=I={target:g}:TP=-1.5" in command
    assert "measured_I=" in command and "linear=true" in command  # pass 2 of two
    assert "aresample=48000[enh" in command
    assert ("afftdn" in command) == cut_pauses
    # The render ran the picture and the sound side by side and joined them by stream copy:
    # the same packets as the one command it shows.
    assert "picture.mp4" not in command and "sound.m4a" not in command
    whole = rerun_whole_command(files.ffmpeg_command, tmp_path / "whole.mp4")
    rendered, planned = stream_digests(files.video), stream_digests(whole)
    if "afftdn" not in command:
        assert rendered == planned
    else:
        # ffmpeg 5.1's afftdn gives slightly different samples on cut, joined sound when the
        # command also carries the picture (the same filters on the same samples without it
        # match the render): the same picture, and the loudness both land on.
        assert rendered[0] == planned[0]
        assert integrated_lufs(whole) == pytest.approx(integrated_lufs(files.video), abs=0.3)


def test_pass_one_measures_what_ebur128_measures(
    runner: FFmpegRunner, source: otio.schema.Timeline, talking: TalkingClip
) -> None:
    settings = AudioEnhanceSettings(highpass_hz=0)
    measured = measure_edited_audio(runner, clip_segments(source), settings)
    assert measured.input_i == pytest.approx(integrated_lufs(talking.path), abs=0.5)
    assert measured.input_tp < 0 and not measured.silent


class CountingRunner(FFmpegRunner):
    """The real runner, counting the ffmpeg processes it starts."""

    runs = 0

    def run(self, args: list[str], **kwargs: object) -> RunStats:
        self.runs += 1
        return super().run(args, **kwargs)  # type: ignore[arg-type]


def test_a_cached_measurement_is_reused_for_the_same_sound_only(
    settings: Settings, source: otio.schema.Timeline, talking: TalkingClip, tmp_path: Path
) -> None:
    runner, cache = CountingRunner(settings), AnalysisCache(tmp_path / "cache")
    segments = clip_segments(source)
    plain_settings = AudioEnhanceSettings(highpass_hz=0)
    first = measure_edited_audio(runner, segments, plain_settings, cache=cache)
    assert measure_edited_audio(runner, segments, plain_settings, cache=cache) == first
    assert runner.runs == 1  # the second answer came from the cache
    # the same bytes under another name (a re-upload) are the same sound
    copy = tmp_path / "copy.mp4"
    copy.write_bytes(talking.path.read_bytes())
    moved = [replace(segment, path=copy) for segment in segments]
    assert measure_edited_audio(runner, moved, plain_settings, cache=cache) == first
    assert runner.runs == 1
    # another filter, or another cut, is another sound
    filtered = measure_edited_audio(
        runner, segments, AudioEnhanceSettings(highpass_hz=300), cache=cache
    )
    shorter = [replace(segments[0], duration_s=segments[0].duration_s / 2)]
    measure_edited_audio(runner, shorter, plain_settings, cache=cache)
    assert runner.runs == 3
    assert filtered.input_i != first.input_i


def test_a_timeline_without_audio_is_left_alone(
    settings: Settings, runner: FFmpegRunner, tmp_path: Path
) -> None:
    mute = make_sample_clip(
        "ffmpeg", tmp_path / "mute.mp4", seconds=1.0, width=160, height=90, audio=None
    )
    tl = source_timeline(mute, probe(runner, mute), start_ms=None, end_ms=None, name="mute")
    ctx = tile_context(settings, tmp_path / "work")
    enhance = AudioEnhanceTile()
    result = enhance.run(ctx, enhance.parse_params({}), tl)
    assert result.status_message == "the video has no audio: nothing to enhance"
    (enhanced,) = result.timelines
    assert with_measured_loudness(runner, enhanced) is enhanced  # nothing to measure
    files = render_timeline(ctx, enhanced, RenderParams(preset="ultrafast"))
    assert "loudnorm" not in " ".join(files.ffmpeg_command)
    audio = stream(ffprobe(files.video), "audio")
    assert audio is not None and audio["sample_rate"] == "48000"
