"""Which chunks of a source's time line a face analysis covers (and so caches)."""

from __future__ import annotations

from tilework.analysis.face_track import CHUNK_S, cache_version, chunks_of, consecutive


def test_ranges_are_widened_to_whole_chunks() -> None:
    assert CHUNK_S == 5.0
    assert chunks_of([(6.2, 8.1)]) == [1]
    assert chunks_of([(5.0, 10.0)]) == [1]  # exact bounds take no neighbour
    assert chunks_of([(0.0, 2.0), (7.0, 12.0)]) == [0, 1, 2]
    assert chunks_of([(100.0, 130.0), (12.0, 14.0)]) == [2, *range(20, 26)]
    assert chunks_of([(-1.0, 0.5)]) == [0]
    assert chunks_of([(3.0, 3.0)]) == [0]  # an empty cut still gets its chunk


def test_consecutive_chunks_are_decoded_in_one_run() -> None:
    assert list(consecutive([0, 1, 2, 5, 7, 8])) == [[0, 1, 2], [5], [7, 8]]
    assert list(consecutive([])) == []


def test_the_cache_version_names_the_detector_and_the_sampling() -> None:
    assert cache_version("blazeface") != cache_version("haar")
    assert "5hz" in cache_version("blazeface") and "5s" in cache_version("blazeface")
