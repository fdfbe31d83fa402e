"""Scale-out settings: the storage URL's shape, the worker queues, PostgreSQL detection."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from tilework.config import Settings


def test_storage_url_is_empty_or_an_s3_bucket(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path, storage_url="s3://my-bucket/a/b").storage_url
    assert Settings(data_dir=tmp_path, storage_url="").storage_url == ""
    for bad in ("/var/blobs", "s3://", "gs://bucket", "s3://B/x"):
        with pytest.raises(ValidationError, match="s3://bucket/prefix"):
            Settings(data_dir=tmp_path, storage_url=bad)


def test_worker_queues_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TILEWORK_WORKER_QUEUES", "renders, fast")
    assert Settings(data_dir=tmp_path).worker_queues == ("renders", "fast")


def test_postgres_is_recognised(tmp_path: Path) -> None:
    assert not Settings(data_dir=tmp_path).uses_postgres
    url = "postgresql+psycopg://u@h/db"
    assert Settings(data_dir=tmp_path, database_url=url).uses_postgres
