"""moto's standalone S3 server on 127.0.0.1 for the S3 half of the suite, and fresh buckets.

One server per test session (``moto_server -p 0``: the port it prints), one uniquely named
bucket per test. ``aws_env`` is the standard AWS configuration a Tilework process reads. When
moto is not installed the test is skipped, except under ``CI=true`` where it fails.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

from tests.support.postgres import missing_service

REGION = "us-east-1"


@dataclass(frozen=True)
class S3Server:
    endpoint: str

    def env(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
        }

    def client(self) -> object:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name=REGION,
        )

    def new_bucket(self) -> str:
        name = f"tw-test-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)  # type: ignore[attr-defined]
        return name


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    executable = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
    if not Path(executable).exists():
        missing_service("moto_server (pip install 'moto[server]') is not installed")
    log_path = tmp_path_factory.mktemp("moto") / "moto.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [executable, "-H", "127.0.0.1", "-p", "0"], stdout=log, stderr=subprocess.STDOUT
        )
    try:
        yield S3Server(_wait_for_port(process, log_path))
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def s3_bucket(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh bucket; this process's boto3 is pointed at moto. Returns ``s3://bucket/prefix``."""
    for name, value in s3_server.env().items():
        monkeypatch.setenv(name, value)
    return f"s3://{s3_server.new_bucket()}/tilework"


def _wait_for_port(process: subprocess.Popen[bytes], log_path: Path) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        match = re.search(r"Running on (http://127\.0\.0\.1:\d+)", log_path.read_text())
        if match:
            return match.group(1)
        if process.poll() is not None:
            missing_service(f"moto_server exited: {log_path.read_text()[-500:]}")
        time.sleep(0.1)
    process.kill()
    missing_service("moto_server did not start")
    raise AssertionError("unreachable")
