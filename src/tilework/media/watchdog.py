"""Bounds on every ffmpeg and ffprobe process: wall-clock time and memory.

A hostile or broken input must fail its own item with a clear message, never hang a worker or
take the machine's memory. ``ProcessLimits`` holds the two bounds (from ``Settings``):

- **time**: ``min_seconds + factor x the media's duration`` (by default 120 s + 10x, at most
  ``max_seconds``, 6 h, since a file may declare any duration), counted from the start of the
  process. The runner gets the duration from its caller or, when the
  caller does not know it, probes the command's ``-i`` files (``input_files``). A ``Watchdog``
  timer kills the process group when the time is up.
- **memory**: the child's address space (``RLIMIT_AS``, set by ``prlimit`` or between fork and
  exec), so a decoder that asks for an absurd frame gets an allocation failure instead of the
  OOM killer.
  Address space counts reservations, not just use: ffmpeg's thread pools reserve much more than
  they touch, so the default (8 GiB) is generous; ``0`` turns the limit off.
"""

from __future__ import annotations

import itertools
import re
import resource
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tilework.config import Settings

MB = 1024 * 1024
# What ffmpeg, its libraries and the loader print when an allocation fails under RLIMIT_AS.
_OUT_OF_MEMORY = re.compile(
    r"cannot allocate memory|out of memory|bad_alloc|malloc.*failed|failed to map segment"
    r"|memory allocation failed",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ProcessLimits:
    time_factor: float = 10.0
    min_seconds: float = 120.0
    max_seconds: float = 6 * 3600.0
    memory_bytes: int = 8192 * MB  # 0: unlimited

    @classmethod
    def from_settings(cls, settings: Settings) -> ProcessLimits:
        return cls(
            time_factor=settings.ffmpeg_time_limit_factor,
            min_seconds=settings.ffmpeg_time_limit_min_seconds,
            max_seconds=settings.ffmpeg_time_limit_max_seconds,
            memory_bytes=settings.ffmpeg_memory_limit_mb * MB,
        )

    def seconds_for(self, duration_s: float | None) -> float:
        wanted = self.min_seconds + self.time_factor * max(0.0, duration_s or 0.0)
        return min(wanted, max(self.max_seconds, self.min_seconds))

    def apply_in_child(self) -> None:
        """Runs between fork and exec: cap the address space."""
        if self.memory_bytes > 0:
            resource.setrlimit(resource.RLIMIT_AS, (self.memory_bytes, self.memory_bytes))

    def out_of_memory(self, code: int, stderr: Sequence[str]) -> bool:
        """Whether a failed process ran into the memory cap (an allocation failed)."""
        if self.memory_bytes <= 0:
            return False
        crashed = code in (-signal.SIGSEGV, -signal.SIGABRT, -signal.SIGBUS)
        return crashed or _OUT_OF_MEMORY.search(" ".join(stderr[-40:])) is not None

    def memory_text(self) -> str:
        return f"{self.memory_bytes // MB} MB"


class Watchdog:
    """Calls ``kill`` once ``seconds`` have passed, unless stopped first."""

    def __init__(self, seconds: float, kill: Callable[[], None]) -> None:
        self.seconds = seconds
        self.expired = False
        self._kill = kill
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._timer.cancel()

    def _expire(self) -> None:
        self.expired = True
        self._kill()


def input_files(args: Sequence[str]) -> list[Path]:
    """The files an ffmpeg command reads (``-i <path>`` where the path is a regular file)."""
    found = []
    for flag, value in itertools.pairwise(args):
        if flag == "-i" and Path(value).is_file():
            found.append(Path(value))
    return found
