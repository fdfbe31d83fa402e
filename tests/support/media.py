"""Helpers for media tests: a controllable job, tile contexts, MediaInfo and timeline builders."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import opentimelineio as otio
import pytest

from tilework.config import Settings
from tilework.media.probe import MediaInfo
from tilework.media.timeline import source_timeline
from tilework.tiles.base import TileContext

requires_ffmpeg = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="ffmpeg/ffprobe not installed",
)


class FakeJob:
    """A ``JobContext`` whose abort the test triggers (callbacks run on the calling thread)."""

    job_id = 1

    def __init__(self) -> None:
        self._aborted = threading.Event()
        self._callbacks: list[Callable[[], None]] = []
        self.heartbeats = 0

    def should_abort(self) -> bool:
        return self._aborted.is_set()

    def heartbeat(self) -> None:
        self.heartbeats += 1

    def on_abort(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)

    def abort(self) -> None:
        self._aborted.set()
        for callback in list(self._callbacks):
            callback()


def info(
    seconds: float = 4.0,
    *,
    width: int = 320,
    height: int = 180,
    fps: float = 25.0,
    audio: bool = True,
) -> MediaInfo:
    return MediaInfo(
        duration_s=seconds,
        width=width,
        height=height,
        fps=fps,
        has_video=True,
        has_audio=audio,
        video_codec="h264",
        audio_codec="aac" if audio else None,
        pix_fmt="yuv420p",
        format_name="mov,mp4,m4a,3gp,3g2,mj2",
    )


def timeline_of(*sources: tuple[Path, MediaInfo]) -> otio.schema.Timeline:
    """The source timelines of ``sources`` one after the other (a multi-clip edit)."""
    first_path, first_info = sources[0]
    joined = source_timeline(first_path, first_info, start_ms=None, end_ms=None, name="edit")
    for path, media in sources[1:]:
        other = source_timeline(path, media, start_ms=None, end_ms=None, name="x")
        for mine, theirs in zip(joined.tracks, other.tracks, strict=True):
            for item in list(theirs):
                theirs.remove(item)
                mine.append(item)
    return joined


def tile_context(
    settings: Settings,
    work_dir: Path,
    *,
    job: FakeJob | None = None,
    progress: Callable[[float, float | None], None] | None = None,
) -> TileContext:
    work_dir.mkdir(parents=True, exist_ok=True)
    return TileContext(
        settings=settings,
        work_dir=work_dir,
        job=job or FakeJob(),
        progress=progress or (lambda _fraction, _eta: None),
    )


def ffprobe(path: Path) -> dict[str, Any]:
    """ffprobe's view of ``path``, independent of the code under test."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", path],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    data = json.loads(out)
    assert isinstance(data, dict)
    return data


def stream(data: dict[str, Any], codec_type: str) -> dict[str, Any] | None:
    for item in data.get("streams", []):
        if item.get("codec_type") == codec_type:
            return dict(item)
    return None


def processes_mentioning(marker: str) -> list[int]:
    """Pids of live processes whose command line contains ``marker`` (Linux ``/proc``)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
            state = (proc / "stat").read_text().split(") ", 1)[1][:1]
        except OSError:
            continue
        if marker.encode() in cmdline and state != "Z":
            found.append(int(proc.name))
    return found


def stream_digests(path: Path) -> tuple[str, str, str]:
    """MD5s of a file's video packets, its audio packets and its decoded audio: equal digests
    mean the same encoded picture and the same sound, whatever the container's layout."""

    def md5(*args: str) -> str:
        result = subprocess.run(
            ["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", str(path), *args, "-f", "md5",
             "-"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return result.stdout.strip()

    return md5("-map", "0:v", "-c", "copy"), md5("-map", "0:a", "-c", "copy"), md5("-map", "0:a")


def rerun_whole_command(command: list[str], output: Path) -> Path:
    """Run a render's plan (the one ffmpeg command it shows) into ``output`` instead."""
    subprocess.run(
        [*command[:-1], str(output)], capture_output=True, text=True, check=True, timeout=300
    )
    return output
