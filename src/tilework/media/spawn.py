"""How a media process is started: in its own session, killed if this process dies, within the
memory cap of ``media.watchdog``'s limits. ``media.runner`` starts every ffmpeg and ffprobe here.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from functools import cache
from typing import Any

from tilework.media.watchdog import ProcessLimits

_PR_SET_PDEATHSIG = 1


@cache
def _prctl() -> Any:
    """libc's prctl, resolved in the parent (never load libraries between fork and exec)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def _die_with_parent_hook() -> Callable[[], None] | None:
    prctl = _prctl()
    if prctl is None:
        return None
    parent = os.getpid()

    def hook() -> None:  # runs in the child, between fork and exec
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return hook


def _child_setup(limits: ProcessLimits | None) -> Callable[[], None] | None:
    die_with_parent = _die_with_parent_hook()
    if limits is None:
        return die_with_parent

    def hook() -> None:  # runs in the child, between fork and exec
        if die_with_parent is not None:
            die_with_parent()
        limits.apply_in_child()

    return hook


@cache
def _util_linux() -> tuple[str, str] | None:
    """util-linux's ``setpriv`` and ``prlimit``, when both are installed (Debian: always)."""
    setpriv, prlimit = shutil.which("setpriv"), shutil.which("prlimit")
    return (setpriv, prlimit) if setpriv and prlimit else None


def _launch(
    argv: list[str], limits: ProcessLimits | None
) -> tuple[list[str], Callable[[], None] | None]:
    """The command line to start and the hook to run between fork and exec, if any.

    A Python hook makes ``subprocess`` fork: the child is, until its exec, a copy of this
    process (the worker's models: 600+ MiB of RSS counted twice, page tables copied on every
    spawn). So where util-linux is there, the parent-death signal and the memory cap are set by
    ``setpriv`` and ``prlimit`` exec'd in front of the program, and ``subprocess`` takes its
    vfork path. (A parent killed in the microseconds before ``setpriv`` runs would leave that
    one process without the signal; the hook checks for it, the prefix cannot.)
    """
    tools = _util_linux()
    if tools is None:
        return argv, _child_setup(limits)
    program = shutil.which(argv[0])
    if program is None:  # what Popen raises for a missing program, not prlimit's exit code
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), argv[0])
    setpriv, prlimit = tools
    prefix = [setpriv, "--pdeathsig", "KILL", "--"]
    if limits is not None and limits.memory_bytes > 0:
        cap = limits.memory_bytes
        prefix = [prlimit, f"--as={cap}:{cap}", "--", *prefix]
    return [*prefix, program, *argv[1:]], None


def spawn(
    argv: list[str], *, capture_stdout: bool = True, limits: ProcessLimits | None = None
) -> subprocess.Popen[str]:
    """Start ``argv`` in its own process group, killed if this process dies, within ``limits``'
    memory cap."""
    command, child_setup = _launch(argv, limits)
    return subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE if capture_stdout else subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        start_new_session=True,
        preexec_fn=child_setup,
    )
