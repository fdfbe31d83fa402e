"""Server-side commands started wrong: one clear line on stderr, exit code 1, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.s3 import S3Server


def tilework(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TILEWORK_", "AWS_"))}
    return subprocess.run(
        [sys.executable, "-m", "tilework.cli.main", *args],
        env={**clean, "TILEWORK_DATA_DIR": str(tmp_path / "data"), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    for word in words:
        assert word in lines[0], lines[0]


UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/nothing_here"


@pytest.mark.parametrize("command", [["worker"], ["migrate"], ["serve", "--no-workers"]])
def test_an_unreachable_database(command: list[str], tmp_path: Path) -> None:
    result = tilework(*command, env={"TILEWORK_DATABASE_URL": UNREACHABLE}, tmp_path=tmp_path)
    assert_one_line_error(result, "127.0.0.1:1", "refused")


def test_a_worker_or_an_api_only_server_on_sqlite_is_refused(tmp_path: Path) -> None:
    assert_one_line_error(tilework("worker", env={}, tmp_path=tmp_path), "needs PostgreSQL")
    no_workers = tilework("serve", "--no-workers", env={}, tmp_path=tmp_path)
    assert_one_line_error(no_workers, "needs PostgreSQL")


def test_a_missing_bucket(s3_server: S3Server, tmp_path: Path) -> None:
    env = {**s3_server.env(), "TILEWORK_STORAGE_URL": "s3://tw-no-such-bucket/x"}
    result = tilework("serve", "--port", "1", env=env, tmp_path=tmp_path)
    assert_one_line_error(result, "tw-no-such-bucket", "does not exist")
