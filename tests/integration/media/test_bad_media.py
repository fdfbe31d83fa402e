"""Awkward real-world inputs either render correctly or fail with a clear message.

Phones and editors produce odd frame sizes, rotation metadata, variable frame rates and 10-bit
video; uploads may have no audio or no picture. Each case is generated here with ffmpeg.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.media import ffprobe, requires_ffmpeg, stream, tile_context
from tilework.config import Settings
from tilework.errors import MediaError
from tilework.media.probe import probe
from tilework.media.runner import FFmpegRunner
from tilework.media.timeline import source_timeline
from tilework.tiles.render import RenderParams, render_timeline

pytestmark = requires_ffmpeg

PICTURE = ["-f", "lavfi", "-i", "testsrc2=size={size}:rate={rate}:duration={seconds}"]
TONE = ["-f", "lavfi", "-i", "sine=frequency=330:sample_rate=48000:duration={seconds}"]


def ffmpeg(*args: str) -> None:
    command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args]
    subprocess.run(command, check=True, capture_output=True, timeout=120)


def generate(
    out: Path, *, size: str, seconds: float = 1.0, rate: int = 25, extra: list[str]
) -> Path:
    picture = [part.format(size=size, rate=rate, seconds=seconds) for part in PICTURE]
    tone = [part.format(seconds=seconds) for part in TONE]
    ffmpeg(
        *picture,
        *tone,
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        *extra,
        "-c:a",
        "aac",
        "-shortest",
        str(out),
    )
    return out


def rotate_90(path: Path) -> Path:
    """Set a 90° display matrix in the video track header, as phones do (ffmpeg 5.1 can't)."""
    data = bytearray(path.read_bytes())
    tkhd = data.index(b"tkhd")  # the first track is the video (input 0)
    version = data[tkhd + 4]
    matrix = tkhd + 4 + (4 + (32 if version == 1 else 20) + 8 + 8)
    values = (0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000)
    data[matrix : matrix + 36] = b"".join(v.to_bytes(4, "big", signed=True) for v in values)
    path.write_bytes(bytes(data))
    return path


def render(
    settings: Settings, runner: FFmpegRunner, path: Path, tmp_path: Path
) -> dict[str, object]:
    info = probe(runner, path, "video")
    tl = source_timeline(path, info, start_ms=None, end_ms=None, name="in")
    files = render_timeline(tile_context(settings, tmp_path), tl, RenderParams(preset="ultrafast"))
    data = ffprobe(files.video)
    video = stream(data, "video")
    assert video is not None and video["pix_fmt"] == "yuv420p"  # plays everywhere
    assert stream(data, "audio") is not None
    return {
        "width": video["width"],
        "height": video["height"],
        "duration": float(data["format"]["duration"]),
        "frame_rate": video["r_frame_rate"],
        "avg_frame_rate": video["avg_frame_rate"],
    }


def test_odd_frame_sizes_render_at_the_nearest_even_size(
    settings: Settings, runner: FFmpegRunner, tmp_path: Path
) -> None:
    # 4:4:4 lets x264 store an odd-sized frame, like the 1079x1917 some phones produce
    clip = generate(
        tmp_path / "odd.mp4",
        size="320x180",  # testsrc2 itself rounds sizes to even: scale afterwards
        seconds=0.4,
        extra=["-vf", "scale=1079:1917", "-pix_fmt", "yuv444p"],
    )
    info = probe(runner, clip, "video")
    assert (info.width, info.height) == (1079, 1917)
    result = render(settings, runner, clip, tmp_path)
    assert (result["width"], result["height"]) == (1080, 1918)


def test_rotation_metadata_is_applied_to_the_picture(
    settings: Settings, runner: FFmpegRunner, tmp_path: Path
) -> None:
    clip = rotate_90(generate(tmp_path / "rotated.mp4", size="320x180", extra=[]))
    assert probe(runner, clip, "video").rotation in (90, 270)
    result = render(settings, runner, clip, tmp_path)
    assert (result["width"], result["height"]) == (180, 320)  # portrait, as a player shows it


def test_ten_bit_video_renders_as_eight_bit(
    settings: Settings, runner: FFmpegRunner, tmp_path: Path
) -> None:
    clip = generate(tmp_path / "10bit.mp4", size="320x180", extra=["-pix_fmt", "yuv420p10le"])
    assert stream(ffprobe(clip), "video")["pix_fmt"] == "yuv420p10le"  # type: ignore[index]
    result = render(settings, runner, clip, tmp_path)
    assert (result["width"], result["height"]) == (320, 180)


def test_variable_frame_rate_becomes_constant_with_the_same_duration(
    settings: Settings, runner: FFmpegRunner, tmp_path: Path
) -> None:
    # drop two frames in three during the second half: timestamps become irregular
    clip = generate(
        tmp_path / "vfr.mp4",
        size="320x180",
        seconds=2.0,
        rate=30,
        extra=["-vf", "select='lt(t,1)+not(mod(n,3))'", "-fps_mode", "vfr"],
    )
    source = stream(ffprobe(clip), "video")
    assert source is not None and source["r_frame_rate"] != source["avg_frame_rate"]
    result = render(settings, runner, clip, tmp_path)
    assert result["frame_rate"] == result["avg_frame_rate"]
    assert result["duration"] == pytest.approx(2.0, abs=0.15)


def test_audio_only_and_video_less_files_are_refused_with_the_reason(
    runner: FFmpegRunner, tmp_path: Path
) -> None:
    audio_only = tmp_path / "voice.m4a"
    ffmpeg(*[part.format(seconds=1) for part in TONE], "-c:a", "aac", str(audio_only))
    with pytest.raises(MediaError, match="no video"):
        probe(runner, audio_only, "video")
    not_media = tmp_path / "notes.mp4"
    not_media.write_text("not a video")
    with pytest.raises(MediaError):
        probe(runner, not_media, "video")
