"""LocalBlobStore on a real temp directory: atomic writes, key safety, sizes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tilework.errors import NotFoundError, ValidationError
from tilework.storage import LocalBlobStore


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


@pytest.mark.parametrize(
    "key", ["", "/etc/passwd", "../x", "a/../../x", "a//b", "a/./b", "a/", "a\\b", "a/.tmp-x"]
)
def test_keys_that_could_escape_are_refused(store: LocalBlobStore, key: str) -> None:
    with pytest.raises(ValidationError):
        store.path(key)


def test_open_write_is_atomic(store: LocalBlobStore) -> None:
    with store.open_write("a/b.bin") as out:
        out.write(b"12345")
        assert not store.exists("a/b.bin")  # invisible until the block ends
    assert store.size("a/b.bin") == 5
    with pytest.raises(RuntimeError), store.open_write("a/c.bin") as out:
        out.write(b"half")
        raise RuntimeError("interrupted")
    assert not store.exists("a/c.bin")
    assert sorted(p.name for p in store.path("a/b.bin").parent.iterdir()) == ["b.bin"]


def test_put_file_copies_or_moves(store: LocalBlobStore, tmp_path: Path) -> None:
    src = tmp_path / "src.bin"
    src.write_bytes(b"abc")
    assert store.put_file("x/copy", src) == 3
    assert src.exists()
    assert store.put_file("x/moved", src, move=True) == 3
    assert not src.exists()
    assert store.path("x/moved").read_bytes() == b"abc"


def test_size_and_delete(store: LocalBlobStore) -> None:
    with pytest.raises(NotFoundError):
        store.size("none")
    store.delete("none")  # missing is fine
    with store.open_write("k") as out:
        out.write(b"x")
    store.delete("k")
    assert not store.exists("k")
