"""How media processes are started: in their own session, capped in memory, dying with their
parent, with util-linux's prefixes (no fork of the worker) or, without them, a fork hook."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tilework.media import spawn as spawning
from tilework.media.spawn import spawn
from tilework.media.watchdog import MB, ProcessLimits


def address_space_cap(pid: int) -> str:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max address space"):
            return line.split()[3]
    raise AssertionError("no address-space line")


@pytest.fixture(params=["util-linux", "fork-hook"])
def launcher(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "fork-hook":  # a system without setpriv/prlimit
        monkeypatch.setattr(spawning, "_util_linux", lambda: None)
    return str(request.param)


def test_the_process_has_the_memory_cap_and_its_own_session(launcher: str) -> None:
    process = spawn(["sleep", "30"], limits=ProcessLimits(memory_bytes=512 * MB))
    try:
        time.sleep(0.3)  # past the prefixes' exec
        assert Path(f"/proc/{process.pid}/comm").read_text().strip() == "sleep"
        assert address_space_cap(process.pid) == str(512 * MB)
        assert Path(f"/proc/{process.pid}/stat").read_text().split()[5] == str(process.pid)
    finally:
        process.kill()
        process.communicate()  # reaps it and closes its pipes


def test_the_process_dies_with_its_parent(launcher: str, tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    fallback = "spawn._util_linux = lambda: None\n" if launcher == "fork-hook" else ""
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, time, pathlib\n"
            "from tilework.media import spawn\n"
            f"{fallback}"
            "child = spawn.spawn(['sleep', '60'])\n"
            f"pathlib.Path({str(pid_file)!r}).write_text(str(child.pid))\n"
            "time.sleep(60)\n",
        ]
    )
    deadline = time.monotonic() + 20
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline, "the parent did not start its child"
        time.sleep(0.05)
    child = int(pid_file.read_text())
    time.sleep(0.3)
    parent.kill()  # SIGKILL: no cleanup code of the parent runs
    parent.wait()
    deadline = time.monotonic() + 5
    while Path(f"/proc/{child}").exists() and "Z" not in _state(child):
        assert time.monotonic() < deadline, "the child outlived its parent"
        time.sleep(0.05)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2]
    except FileNotFoundError:
        return "Z"


def test_a_missing_program_raises_as_popen_does(launcher: str) -> None:
    with pytest.raises(FileNotFoundError):
        spawn(["no-such-ffmpeg-here"])
