"""The one place that starts ffmpeg and ffprobe.

Every media process goes through ``FFmpegRunner`` so that the same guarantees hold everywhere:
the process lives in its own process group and dies with its parent (a killed worker never
leaves an encoder running), an abort kills the whole group at once, progress is parsed from
``-progress pipe:1`` and throttled, and a failure raises ``MediaError`` carrying the few stderr
lines that explain it rather than the whole log. Each process is also bounded in time and
memory (``media.watchdog``): a hung or exploding decode fails with a ``MediaError`` that says
which limit it hit, so the item fails and the run goes on.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from pathlib import Path
from typing import IO, Any

from tilework.config import Settings
from tilework.errors import MediaError, TaskAborted
from tilework.media.spawn import spawn
from tilework.media.watchdog import ProcessLimits, Watchdog, input_files
from tilework.workers.port import JobContext

ProgressCallback = Callable[[float, float | None], None]  # (fraction 0..1, eta seconds)

GLOBAL_ARGS = ("-hide_banner", "-nostdin", "-y", "-progress", "pipe:1", "-nostats")
PROGRESS_INTERVAL_S = 0.25  # at most 4 progress calls per second
HEARTBEAT_INTERVAL_S = 10.0
PROBE_TIMEOUT_S = 60.0
ERROR_LINES = 4
_NOISE = re.compile(
    r"^(\s|Input #|Output #|Stream mapping|Press \[q\]|Metadata:|Duration:|encoder\s*:)"
)
_CONTEXT = re.compile(r"^\[([^\]@]+?) @ 0x[0-9a-fA-F]+\]\s*")  # ffmpeg's "[name @ pointer] "


def meaningful_lines(lines: Iterable[str], limit: int = ERROR_LINES) -> list[str]:
    """The last ``limit`` stderr lines that say something (no stream dumps or banners), each
    log context shown by name only: ``[h264 @ 0x55e8...] x`` -> ``h264: x``."""
    kept = [
        _CONTEXT.sub(r"\1: ", line.strip())
        for line in lines
        if line.strip() and not _NOISE.match(line)
    ]
    return kept[-limit:]


@dataclass(frozen=True)
class RunStats:
    """What ffmpeg last reported: frames written and output time reached.

    ``stderr_tail`` holds the last lines of stderr (at most 200), for filters that report there
    (``loudnorm=print_format=json`` prints its measurement at the end).
    """

    frames: int
    out_time_s: float
    stderr_tail: tuple[str, ...] = ()


class _Killer:
    """Kills a process group once, and never after the process was reaped (pid reuse)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self._process = process
        self._lock = threading.Lock()
        self._reaped = False
        self.killed = False

    def kill(self) -> None:
        with self._lock:
            if self._reaped:
                return
            self.killed = True
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._process.pid, signal.SIGKILL)

    def reap(self) -> int:
        code = self._process.wait()
        with self._lock:
            self._reaped = True
        return code


class _Progress:
    """Turns ``-progress`` key=value lines into throttled (fraction, eta) calls."""

    def __init__(
        self,
        duration_s: float | None,
        on_progress: ProgressCallback | None,
        job: JobContext | None,
    ) -> None:
        self._duration = duration_s if duration_s and duration_s > 0 else None
        self._callback = on_progress
        self._job = job
        self._started = time.monotonic()
        self._last_call = float("-inf")
        self._last_beat = self._started
        self._out_s = 0.0
        self.frames = 0

    @property
    def stats(self) -> RunStats:
        return RunStats(frames=self.frames, out_time_s=self._out_s)

    def feed(self, line: str) -> None:
        key, _, value = line.strip().partition("=")
        if key == "out_time_us" and value.lstrip("-").isdigit():
            self._out_s = max(0.0, int(value) / 1_000_000)
        elif key == "frame" and value.isdigit():
            self.frames = int(value)
        elif key == "progress":
            self._tick(final=value == "end")

    def _tick(self, *, final: bool) -> None:
        now = time.monotonic()
        if self._job is not None and now - self._last_beat >= HEARTBEAT_INTERVAL_S:
            self._last_beat = now
            self._job.heartbeat()
        if self._callback is None or self._duration is None:
            return
        if not final and now - self._last_call < PROGRESS_INTERVAL_S:
            return
        self._last_call = now
        fraction = 1.0 if final else min(1.0, self._out_s / self._duration)
        self._callback(fraction, self._eta(fraction, now))

    def _eta(self, fraction: float, now: float) -> float | None:
        if fraction >= 1.0:
            return 0.0
        if fraction <= 0.0:
            return None
        return (now - self._started) * (1.0 - fraction) / fraction


def _drain(stream: IO[str], into: deque[str]) -> threading.Thread:
    def read() -> None:
        for line in stream:
            into.append(line)

    thread = threading.Thread(target=read, name="ffmpeg-stderr", daemon=True)
    thread.start()
    return thread


class FFmpegRunner:
    """Runs ffmpeg and ffprobe (paths from ``Settings``); the seam tests can replace."""

    def __init__(self, settings: Settings) -> None:
        self.ffmpeg_path = settings.ffmpeg_path
        self.ffprobe_path = settings.ffprobe_path
        self.limits = ProcessLimits.from_settings(settings)

    def command(self, args: list[str]) -> list[str]:
        """The exact argv ``run(args)`` executes (shown to users as the render plan)."""
        return [self.ffmpeg_path, *GLOBAL_ARGS, *args]

    def run(
        self,
        args: list[str],
        *,
        job: JobContext | None = None,
        duration_s: float | None = None,
        on_progress: ProgressCallback | None = None,
        short: bool = False,
    ) -> RunStats:
        """Run ffmpeg with ``args``; raises ``TaskAborted`` on abort, ``MediaError`` on failure
        (also when it outlives its time limit or runs out of its memory).

        ``duration_s`` (the media's length) drives progress and the time limit; without it the
        limit is computed from the command's input files. ``short`` marks a bounded piece of
        work (one frame, half a second) whose limit is the minimum whatever the media's length."""
        if job is not None and job.should_abort():
            raise TaskAborted()
        media_s = 0.0 if short else duration_s
        if media_s is None:
            media_s = self._inputs_duration(args)
        limit_s = self.limits.seconds_for(media_s)
        process = spawn(self.command(args), limits=self.limits)
        killer = _Killer(process)
        if job is not None:
            job.on_abort(killer.kill)
            if job.should_abort():
                killer.kill()
        progress = _Progress(duration_s, on_progress, job)
        with Watchdog(limit_s, killer.kill) as watchdog:
            code, stderr = self._follow(process, killer, progress)
        if watchdog.expired:
            raise MediaError(_timed_out("ffmpeg", limit_s, media_s))
        if killer.killed:
            raise TaskAborted()
        if code != 0:
            detail = "; ".join(meaningful_lines(stderr)) or f"exit status {code}"
            if self.limits.out_of_memory(code, list(stderr)):
                detail = f"it ran out of its {self.limits.memory_text()} memory limit ({detail})"
            raise MediaError(f"ffmpeg failed: {detail}")
        return replace(progress.stats, stderr_tail=tuple(stderr))

    def _inputs_duration(self, args: list[str]) -> float | None:
        durations = [self._file_duration(path) for path in input_files(args)]
        known = [d for d in durations if d is not None]
        return sum(known) if known else None

    def _file_duration(self, path: Path) -> float | None:
        stat = path.stat()
        return _probed_duration(
            self.ffprobe_path, self.limits, str(path.absolute()), stat.st_size, stat.st_mtime_ns
        )

    @staticmethod
    def _follow(
        process: subprocess.Popen[str], killer: _Killer, progress: _Progress
    ) -> tuple[int, deque[str]]:
        assert process.stdout is not None and process.stderr is not None
        stderr: deque[str] = deque(maxlen=200)
        reader = _drain(process.stderr, stderr)
        try:
            for line in process.stdout:
                progress.feed(line)
        except BaseException:
            killer.kill()
            raise
        finally:
            code = killer.reap()
            reader.join(timeout=5)
            process.stdout.close()
            process.stderr.close()
        return code, stderr

    def probe_json(self, path: Path | str) -> dict[str, Any]:
        """ffprobe's format and streams of ``path`` (a file, or a URL given as a string);
        ``MediaError(reason)`` if it can't read it."""
        source = path if isinstance(path, str) else str(Path(path).absolute())
        argv = [self.ffprobe_path, "-v", "error", "-print_format", "json"]
        argv += ["-show_format", "-show_streams", source]
        process = spawn(argv, limits=self.limits)
        try:
            out, err = process.communicate(timeout=PROBE_TIMEOUT_S)
        except subprocess.TimeoutExpired as exc:
            _Killer(process).kill()
            process.wait()
            raise MediaError(_timed_out("ffprobe", PROBE_TIMEOUT_S, None)) from exc
        if process.returncode != 0:
            if self.limits.out_of_memory(process.returncode, err.splitlines()):
                raise MediaError(f"ffprobe ran out of its {self.limits.memory_text()} memory limit")
            raise MediaError(_probe_reason(err, source) or f"ffprobe exit {process.returncode}")
        data = json.loads(out or "{}")
        if not isinstance(data, dict):
            raise MediaError("ffprobe returned no data")
        return data

    def ffmpeg_major(self) -> int:
        """ffmpeg's major version (filter script syntax changed in 7); 0 if unknown."""
        return _major_version(self.ffmpeg_path)


def _timed_out(program: str, limit_s: float, media_s: float | None) -> str:
    media = f" for {media_s:.1f} s of media" if media_s else ""
    return f"{program} was stopped after {limit_s:.0f} s, its time limit{media} (hung or too slow)"


@lru_cache(maxsize=1024)
def _probed_duration(
    ffprobe: str, limits: ProcessLimits, path: str, size: int, mtime_ns: int
) -> float | None:
    """Cached by path, size and modification time: analysis passes read the same file often."""
    del size, mtime_ns  # part of the cache key only
    argv = [ffprobe, "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path]
    process = spawn(argv, limits=limits)
    try:
        out, _ = process.communicate(timeout=PROBE_TIMEOUT_S)
        return float(out.strip().splitlines()[0])
    except subprocess.TimeoutExpired:
        _Killer(process).kill()
        process.wait()
        return None
    except (ValueError, IndexError):  # "N/A" or nothing: no known duration
        return None


def _probe_reason(stderr: str, source: str) -> str:
    lines = meaningful_lines(stderr.splitlines(), limit=1)
    if not lines:
        return ""
    return lines[0].removeprefix(f"{source}: ")


@cache
def _major_version(ffmpeg_path: str) -> int:
    try:
        out = subprocess.run(
            [ffmpeg_path, "-hide_banner", "-version"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return 0
    match = re.search(r"version n?(\d+)\.", out)
    return int(match.group(1)) if match else 0
