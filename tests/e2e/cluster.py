"""Deployments as real processes: an API server and zero or more ``tilework worker`` processes.

A ``Mode`` is one of {embedded SQLite, PostgreSQL + Procrastinate} x {local files, S3}. On
SQLite the server runs its own workers. On PostgreSQL the API runs ``--no-workers`` and the
work is done by worker processes; with S3, every process has a data dir of its own (nothing is
shared but the database and the bucket), with local files they share one (a shared volume).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.e2e.conftest import Server


@dataclass(frozen=True)
class Mode:
    database: str  # "sqlite" | "postgres"
    storage: str  # "local" | "s3"

    @property
    def id(self) -> str:
        return f"{self.database}-{self.storage}"


MODES = [Mode(db, storage) for db in ("sqlite", "postgres") for storage in ("local", "s3")]


@dataclass
class Cluster:
    root: Path
    env: dict[str, str]  # TILEWORK_* and AWS_* settings every process gets
    worker_count: int = 0
    api: Server = field(init=False)
    workers: list[subprocess.Popen[bytes] | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        serve_args = ["--no-workers"] if self.worker_count else []
        self.api = Server(self._data_dir("api"), extra_env=self.env, serve_args=serve_args)
        self.api.data_dir.mkdir(parents=True, exist_ok=True)
        self.workers = [None] * self.worker_count

    @property
    def separate_dirs(self) -> bool:
        return bool(self.env.get("TILEWORK_STORAGE_URL"))

    def _data_dir(self, name: str) -> Path:
        return self.root / name if self.separate_dirs else self.root / "shared"

    def start(self) -> None:
        self.api.start()
        self.api.api_key = self.api.api_key or self.api.init_org()
        for index in range(self.worker_count):
            self.start_worker(index)

    def start_worker(self, index: int) -> None:
        data_dir = self._data_dir(f"worker-{index}")
        data_dir.mkdir(parents=True, exist_ok=True)
        env = {**self.api.env, **self.env, "TILEWORK_DATA_DIR": str(data_dir)}
        with (self.root / f"worker-{index}.log").open("ab") as log:
            self.workers[index] = subprocess.Popen(
                [sys.executable, "-m", "tilework.cli.main", "worker"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        time.sleep(0.5)
        worker = self.workers[index]
        if worker is not None and worker.poll() is not None:
            pytest.fail(f"worker {index} exited: {self.worker_log(index)}")

    def kill9_worker(self, index: int) -> None:
        worker = self.workers[index]
        assert worker is not None
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        self.workers[index] = None

    def worker_index_of(self, pid: int) -> int | None:
        """The worker whose process is ``pid`` or one of its ancestors."""
        while pid > 1:
            for index, worker in enumerate(self.workers):
                if worker is not None and worker.pid == pid:
                    return index
            pid = _parent(pid)
        return None

    def stop(self) -> None:
        for worker in self.workers:
            if worker is not None and worker.poll() is None:
                worker.terminate()
        for worker in self.workers:
            if worker is not None:
                try:
                    worker.wait(20)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait(10)
        self.api.stop()

    def worker_log(self, index: int) -> str:
        path = self.root / f"worker-{index}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def logs(self) -> str:
        parts = [f"--- api\n{self.api.log_tail()}"]
        parts += [f"--- worker {i}\n{self.worker_log(i)}" for i in range(self.worker_count)]
        return "\n".join(parts)


def ffmpeg_pids(root: Path) -> list[int]:
    """ffmpeg processes working inside ``root`` (any of the cluster's data dirs)."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"ffmpeg") and str(root).encode() in b" ".join(argv):
            pids.append(int(proc.name))
    return pids


def _parent(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    return int(stat.rsplit(")", 1)[1].split()[1])


def base_env() -> dict[str, str]:
    """This process's environment without any TILEWORK_/AWS_ setting of the developer's."""
    return {
        key: value for key, value in os.environ.items() if not key.startswith(("TILEWORK_", "AWS_"))
    }
