"""The runner's guarantees with real processes: errors, progress, abort, parent death."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from tests.support.media import FakeJob, processes_mentioning, requires_ffmpeg
from tilework.errors import MediaError, TaskAborted
from tilework.media.runner import FFmpegRunner

pytestmark = requires_ffmpeg


def long_render(out: Path) -> list[str]:
    return [
        *("-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30:duration=600"),
        *("-c:v", "libx264", "-preset", "medium", str(out)),
    ]


def test_failure_raises_media_error_with_the_meaningful_lines(
    runner: FFmpegRunner, tmp_path: Path
) -> None:
    with pytest.raises(MediaError) as caught:
        runner.run(["-i", str(tmp_path / "nope.mp4"), "-f", "null", "-"])
    assert "No such file or directory" in caught.value.detail
    assert "Input #" not in caught.value.detail and len(caught.value.detail) < 500


def test_progress_is_reported_up_to_one(runner: FFmpegRunner, tmp_path: Path) -> None:
    calls: list[tuple[float, float | None]] = []
    args = ["-f", "lavfi", "-i", "testsrc2=size=160x90:rate=25:duration=2", str(tmp_path / "p.mp4")]
    runner.run(args, duration_s=2.0, on_progress=lambda f, eta: calls.append((f, eta)))
    assert calls and calls[-1] == (1.0, 0.0)
    assert all(0.0 <= f <= 1.0 for f, _ in calls)


def test_abort_kills_ffmpeg_promptly(runner: FFmpegRunner, tmp_path: Path) -> None:
    marker = f"abort-{uuid.uuid4().hex}"
    job = FakeJob()
    threading.Timer(0.5, job.abort).start()
    started = time.monotonic()
    with pytest.raises(TaskAborted):
        runner.run(long_render(tmp_path / f"{marker}.mp4"), job=job, duration_s=600)
    # the render would run for minutes; 10 s is the cancel budget, with room for a busy machine
    assert time.monotonic() - started < 10
    assert processes_mentioning(marker) == []


def test_an_already_aborted_job_starts_nothing(runner: FFmpegRunner, tmp_path: Path) -> None:
    job = FakeJob()
    job.abort()
    with pytest.raises(TaskAborted):
        runner.run(long_render(tmp_path / "never.mp4"), job=job)
    assert not (tmp_path / "never.mp4").exists()


SCRIPT = """
import sys
from pathlib import Path
from tilework.config import Settings
from tilework.media.runner import FFmpegRunner
out = Path(sys.argv[1])
FFmpegRunner(Settings(data_dir=out.parent)).run(
    ["-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30:duration=600", "-c:v", "libx264",
     "-preset", "medium", str(out)]
)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")
def test_ffmpeg_dies_with_a_killed_worker(tmp_path: Path) -> None:
    marker = f"orphan-{uuid.uuid4().hex}"
    worker = subprocess.Popen([sys.executable, "-c", SCRIPT, str(tmp_path / f"{marker}.mp4")])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if [pid for pid in processes_mentioning(marker) if pid != worker.pid]:
            break
        time.sleep(0.05)
    else:
        pytest.fail("ffmpeg did not start")
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    deadline = time.monotonic() + 2
    while processes_mentioning(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_mentioning(marker) == []
