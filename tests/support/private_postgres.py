"""A PostgreSQL server of the test's own, to restart mid-run without touching the shared one.

Other test runs (and other people) use the machine's PostgreSQL, so a test that restarts the
database starts its own: ``initdb`` into a temporary directory and ``pg_ctl`` on a free port on
127.0.0.1, with the binaries of the installed server (``/usr/lib/postgresql/<version>/bin``, or
``TILEWORK_TEST_PG_BIN``). PostgreSQL refuses to run as root, so under root the server runs as
the ``postgres`` system user (``runuser``) and its directory belongs to that user.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.postgres import missing_service


def _bin_dir() -> Path | None:
    configured = os.environ.get("TILEWORK_TEST_PG_BIN")
    if configured:
        return Path(configured)
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    return versions[0].parent if versions else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PrivatePostgres:
    bin_dir: Path
    data_dir: Path
    port: int
    user: str | None  # the system user the server runs as (None: this process's user)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/tilework"

    def _run(self, *argv: str) -> None:
        command = [str(self.bin_dir / argv[0]), *argv[1:]]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data_dir} -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data_dir / "db"), "-o", options, "-w", "-l",
                  str(self.data_dir / "server.log"), "start")  # fmt: skip

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data_dir / "db"), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        """A real restart: every connection is dropped, the server is back a moment later."""
        self.stop()
        self.start()


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    bin_dir = _bin_dir()
    if bin_dir is None or not (bin_dir / "initdb").exists():
        missing_service("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    assert bin_dir is not None
    user = "postgres" if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="tw-private-pg-"))
    if user is not None:
        shutil.chown(root, user)
    server = PrivatePostgres(bin_dir, root, _free_port(), user)
    try:
        server._run(
            "initdb", "-D", str(root / "db"), "-U", "postgres", "--auth=trust", "-E", "UTF8"
        )
        server.start()
        server._run("createdb", "-h", "127.0.0.1", "-p", str(server.port), "-U", "postgres",
                    "tilework")  # fmt: skip
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # never started, or stopped
            server.stop()
        shutil.rmtree(root, ignore_errors=True)
