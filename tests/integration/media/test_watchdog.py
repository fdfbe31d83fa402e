"""The ffmpeg/ffprobe watchdog with real processes: a hung decode is stopped at its time limit
(relative to the media's duration), an exploding one meets its memory limit, and each fails
with a message that says which limit it hit, leaving no process behind."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import pytest

from tests.support.media import processes_mentioning, requires_ffmpeg
from tilework.config import Settings
from tilework.errors import MediaError
from tilework.media.probe import probe
from tilework.media.runner import FFmpegRunner

pytestmark = requires_ffmpeg


def runner_with(tmp_path: Path, **limits: float) -> FFmpegRunner:
    return FFmpegRunner(Settings(data_dir=tmp_path / "data", **limits))


def test_a_hung_decode_is_stopped_at_its_time_limit(tmp_path: Path) -> None:
    fifo = tmp_path / f"never-written-{uuid.uuid4().hex}"
    os.mkfifo(fifo)  # ffmpeg blocks opening it: nobody ever writes
    runner = runner_with(tmp_path, ffmpeg_time_limit_min_seconds=1.0)
    started = time.monotonic()
    with pytest.raises(MediaError) as caught:
        runner.run(["-f", "mpegts", "-i", str(fifo), "-f", "null", "-"])
    assert time.monotonic() - started < 10
    assert "ffmpeg was stopped after 1 s, its time limit (hung or too slow)" in caught.value.detail
    assert processes_mentioning(fifo.name) == []


def test_the_limit_grows_with_the_media(tmp_path: Path, clips: dict[str, Path]) -> None:
    # -re reads at real speed: 2 s of media take ~2 s of wall clock.
    args = ["-re", "-i", str(clips["silent"]), "-f", "null", "-"]
    tight = runner_with(tmp_path, ffmpeg_time_limit_min_seconds=0.2, ffmpeg_time_limit_factor=0.2)
    with pytest.raises(MediaError) as caught:
        tight.run(args)  # 0.2 s + 0.2 x 2 s (read from the input file itself) = 0.6 s
    assert "stopped after 1 s, its time limit for 2.0 s of media" in caught.value.detail
    roomy = runner_with(tmp_path, ffmpeg_time_limit_min_seconds=0.2, ffmpeg_time_limit_factor=3)
    assert roomy.run(args, duration_s=2.0).frames > 0


def test_an_exploding_decode_meets_the_memory_limit(tmp_path: Path) -> None:
    runner = runner_with(tmp_path, ffmpeg_memory_limit_mb=1024)
    huge = ["-f", "lavfi", "-i", "color=size=8000x8000:d=0.2", "-c:v", "libx264", "-f", "null", "-"]
    with pytest.raises(MediaError) as caught:
        runner.run(huge)
    assert "ran out of its 1024 MB memory limit" in caught.value.detail
    small = ["-f", "lavfi", "-i", "color=size=160x90:d=0.2", "-c:v", "libx264", "-f", "null", "-"]
    assert runner.run(small).frames > 0  # the same limit leaves ordinary work alone


def test_ffprobe_is_bounded_too(tmp_path: Path, clips: dict[str, Path]) -> None:
    starved = runner_with(tmp_path, ffmpeg_memory_limit_mb=16)
    with pytest.raises(MediaError) as caught:
        probe(starved, clips["silent"])
    assert "ffprobe ran out of its 16 MB memory limit" in caught.value.detail
    assert probe(runner_with(tmp_path), clips["silent"]).duration_s == pytest.approx(2.0, 0.1)


def test_settings_can_turn_the_memory_limit_off(tmp_path: Path, clips: dict[str, Path]) -> None:
    runner = runner_with(tmp_path, ffmpeg_memory_limit_mb=0)
    assert runner.limits.memory_bytes == 0
    assert runner.run(["-i", str(clips["silent"]), "-f", "null", "-"]).frames > 0


def test_a_declared_duration_cannot_lift_the_limit_past_the_maximum(tmp_path: Path) -> None:
    runner = runner_with(tmp_path, ffmpeg_time_limit_max_seconds=600)
    assert runner.limits.seconds_for(49 * 24 * 3600) == 600
    assert runner.limits.seconds_for(10) == 220
