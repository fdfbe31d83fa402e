"""Probing real files: good media is described, anything else is refused with a clear reason."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.media import requires_ffmpeg
from tilework.errors import MediaError
from tilework.media.probe import probe
from tilework.media.runner import FFmpegRunner
from tilework.media.samples import make_sample_clip
from tilework.media.thumbnail import extract_thumbnail

pytestmark = requires_ffmpeg


def test_a_good_clip_is_described(runner: FFmpegRunner, clips: dict[str, Path]) -> None:
    info = probe(runner, clips["tone"])
    assert (info.width, info.height, info.fps) == (320, 180, 25.0)
    assert info.duration_s == pytest.approx(3.0, abs=0.1)
    assert info.has_audio and info.audio_codec == "aac" and info.video_codec == "h264"
    assert info.size_bytes == clips["tone"].stat().st_size


def test_a_video_without_audio_is_fine(runner: FFmpegRunner, clips: dict[str, Path]) -> None:
    info = probe(runner, clips["silent"])
    assert info.has_video and not info.has_audio and (info.width, info.height) == (160, 90)
    with pytest.raises(MediaError, match=r"silent\.mp4: not decodable audio: it has no audio"):
        probe(runner, clips["silent"], "audio")


def test_empty_and_html_files_are_refused(runner: FFmpegRunner, tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(MediaError, match=r"empty\.mp4: not a decodable video: the file is empty"):
        probe(runner, empty)
    page = tmp_path / "page.mp4"
    page.write_text("<!doctype html><html><body>Not found</body></html>")
    with pytest.raises(MediaError, match=r"page\.mp4: not a decodable video: Invalid data"):
        probe(runner, page)
    with pytest.raises(MediaError, match="file not found"):
        probe(runner, tmp_path / "missing.mp4")


def test_truncated_mp4s_are_refused(
    runner: FFmpegRunner, clips: dict[str, Path], tmp_path: Path
) -> None:
    moov_last = tmp_path / "moov_last.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", clips["tone"], "-c", "copy", moov_last], check=True
    )
    for source in (clips["tone"], moov_last):  # index first (faststart), index last
        data = source.read_bytes()
        cut = tmp_path / f"half_{source.name}"
        cut.write_bytes(data[: len(data) // 2])
        with pytest.raises(MediaError, match=re.escape(f"{cut.name}: not a decodable video: ")):
            probe(runner, cut)


def test_images_are_images_and_not_videos(
    runner: FFmpegRunner, clips: dict[str, Path], tmp_path: Path
) -> None:
    jpeg = extract_thumbnail(runner, clips["tone"], tmp_path / "frame.jpg")
    assert probe(runner, jpeg, "image").has_video
    with pytest.raises(MediaError, match="still image"):
        probe(runner, jpeg, "video")
    with pytest.raises(MediaError, match="not a decodable image"):
        probe(runner, clips["tone"], "image")


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_speech_sample_has_the_requested_length(runner: FFmpegRunner, tmp_path: Path) -> None:
    out = make_sample_clip(runner, tmp_path / "speech.mp4", seconds=2.0, audio="speech")
    info = probe(runner, out)
    assert info.has_audio and info.duration_s == pytest.approx(2.0, abs=0.1)
