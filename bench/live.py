"""A ``tilework serve`` process on loopback for the fuzz and soak runs, and what it holds.

``LiveServer`` starts the real server (fresh data dir, free port, extra ``TILEWORK_*`` settings),
creates an organization, and reads the process's resident memory (now and peak), open file
descriptors and live descendant processes from ``/proc`` (Linux).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Footprint:
    rss_mb: float
    peak_rss_mb: float
    open_fds: int
    children: int
    fd_kinds: dict[str, int] = field(default_factory=dict)  # socket, pipe, tilework.db-wal, ...

    def show(self) -> str:
        kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(self.fd_kinds.items()))
        return (
            f"rss {self.rss_mb:.0f} MB (peak {self.peak_rss_mb:.0f} MB), "
            f"{self.open_fds} open fds ({kinds}), {self.children} child processes"
        )


@dataclass
class LiveServer:
    data_dir: Path
    settings: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    api_key: str = ""
    organization_id: str = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "TILEWORK_DATA_DIR": str(self.data_dir),
            "TILEWORK_PUBLIC_BASE_URL": self.url,
            "TILEWORK_ALLOW_PRIVATE_URLS": "true",  # the webhook receiver is on loopback
            **self.settings,
        }

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        created = self._cli("init", "--json")
        self.api_key, self.organization_id = created["api_key"], created["organization_id"]
        with (self.data_dir / "server.log").open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tilework.cli.main", "serve", "--port", str(self.port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"tilework serve exited: {self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/openapi.json", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise SystemExit(f"tilework serve did not come up: {self.log_tail()}")

    def grant_credits(self, amount: int) -> None:
        self._cli("credits", "grant", self.organization_id, str(amount), "--json")

    def client(self, timeout: float = 60) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.api_key}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def footprint(self) -> Footprint:
        assert self.process is not None
        pid = self.process.pid
        status = _status(pid)
        kinds = fd_kinds(pid)
        return Footprint(
            rss_mb=status.get("VmRSS", 0) / 1024,
            peak_rss_mb=status.get("VmHWM", 0) / 1024,
            open_fds=sum(kinds.values()),
            children=len(descendants(pid)),
            fd_kinds=kinds,
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def log_tail(self) -> str:
        path = self.data_dir / "server.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def _cli(self, *args: str) -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, "-m", "tilework.cli.main", *args],
            env=self.env,
            capture_output=True,
            check=True,
            timeout=120,
        )
        result: dict[str, Any] = json.loads(done.stdout)
        return result


def _status(pid: int) -> dict[str, int]:
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if value.strip().endswith("kB"):
            found[name] = int(value.split()[0])
    return found


def fd_kinds(pid: int) -> dict[str, int]:
    """Open descriptors by what they point at: sockets, pipes, or a file's name."""
    kinds: dict[str, int] = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        kind = target.split(":", 1)[0] if ":" in target else Path(target).name
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def descendants(pid: int) -> list[int]:
    """Live (not zombie) processes below ``pid``."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            parents[int(entry.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found
