"""Stored timelines name blobs by key; each worker reads them through its own blob root."""

from __future__ import annotations

from pathlib import Path

from tilework.engine.blobrefs import PATH_TOKEN, URL_TOKEN, localized, portable


class FetchingStore:
    """The part of a blob store ``localized`` uses; records what it was asked to fetch."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.fetched: list[str] = []

    def path(self, key: str) -> Path:
        self.fetched.append(key)
        return self.root / key


def timeline_naming(root: Path) -> dict[str, object]:
    return {
        "clip": {"target_url": (root / "inputs/abc/clip.mp4").as_uri()},
        "metadata": {"tilework": {"music": {"path": str(root / "uploads/m1/source")}}},
        "elsewhere": "/usr/share/fonts/x.ttf",
    }


def test_a_timeline_moves_from_one_worker_root_to_another(tmp_path: Path) -> None:
    written = portable(
        timeline_naming(tmp_path / "worker-a" / "blobs"), tmp_path / "worker-a" / "blobs"
    )
    text = str(written)
    assert "worker-a" not in text
    assert URL_TOKEN + "inputs/abc/clip.mp4" in text and PATH_TOKEN + "uploads/m1/source" in text
    other = FetchingStore(tmp_path / "worker b cache")  # a space: the URL form is encoded
    read = localized(written, other)  # type: ignore[arg-type]
    assert read == timeline_naming(tmp_path / "worker b cache")
    assert sorted(other.fetched) == ["inputs/abc/clip.mp4", "uploads/m1/source"]


def test_a_timeline_without_blobs_is_left_alone(tmp_path: Path) -> None:
    store = FetchingStore(tmp_path)
    old = {"clip": {"target_url": "file:///somewhere/else.mp4"}}  # written before blob keys
    assert portable(old, tmp_path / "blobs") == old
    assert localized(old, store) == old  # type: ignore[arg-type]
    assert store.fetched == []
