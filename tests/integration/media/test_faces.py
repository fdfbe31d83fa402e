"""Face detection on real clips: BlazeFace accuracy, small faces anywhere in the frame, the Haar
fallback, no false faces, analysing only the asked ranges, caching by chunk."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest

from tests.support.frames import (
    frame_at,
    make_moving_face_clip,
    moving_face_x,
    moving_face_y,
    still_face_picture,
)
from tests.support.media import requires_ffmpeg
from tilework.analysis.cache import AnalysisCache
from tilework.analysis.face_tiles import tile_layout
from tilework.analysis.face_track import CACHE_KIND, CHUNK_S, analyze_faces, cache_version
from tilework.analysis.faces import SAMPLE_HZ, FaceDetector, blazeface_model, detector
from tilework.config import Settings

pytestmark = requires_ffmpeg


@pytest.fixture(scope="module")
def moving(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_moving_face_clip(tmp_path_factory.mktemp("faces") / "moving.mp4")


def test_blazeface_follows_the_sliding_astronaut(settings: Settings, moving: Path) -> None:
    assert blazeface_model() is not None  # the wheel's model is installed, not the fallback
    progress: list[float] = []
    track = analyze_faces(settings, moving, on_progress=lambda f, _eta: progress.append(f))
    assert track.detector == "blazeface" and (track.width, track.height) == (640, 360)
    assert len(track.samples) == pytest.approx(4 * SAMPLE_HZ, abs=1)
    assert track.hits == len(track.samples)
    errors_x, errors_y = [], []
    for sample in track.samples:
        face = sample.main
        assert face is not None and len(sample.faces) == 1
        errors_x.append(abs(face.center_x * 640 - moving_face_x(sample.t)))
        errors_y.append(abs(face.center_y * 360 - moving_face_y()))
    # within 10% of the frame everywhere, and a few pixels typically
    assert max(errors_x) < 64 and max(errors_y) < 36
    assert statistics.median(errors_x) < 8 and statistics.median(errors_y) < 8
    assert progress and progress[-1] == 1.0


def test_the_haar_fallback_finds_the_face_too(moving: Path) -> None:
    haar = FaceDetector(use_blazeface=False)
    assert haar.kind == "haar"
    faces = haar.detect(frame_at(moving, 2.0))
    assert faces and abs(faces[0].center_x * 640 - moving_face_x(2.0)) < 20


def test_no_faces_in_a_test_pattern(settings: Settings, clips: dict[str, Path]) -> None:
    track = analyze_faces(settings, clips["tone"])
    assert track.samples and track.hits == 0


def test_face_analysis_is_cached_by_content(
    settings: Settings, moving: Path, tmp_path: Path
) -> None:
    progress: list[float] = []
    first = analyze_faces(settings, moving, on_progress=lambda f, _eta: progress.append(f))
    assert progress  # decoded
    assert first.ranges == []  # the whole file
    cache = AnalysisCache(settings.analysis_cache_dir)
    entry = cache.entry_path(moving, CACHE_KIND, cache_version("blazeface"), part="0")
    assert entry.is_file()  # the 4 s clip is one chunk
    # Mark the stored answer: a second call must return it without decoding the video again.
    stored = json.loads(entry.read_text())
    stored["samples"] = stored["samples"][:3]
    entry.write_text(json.dumps(stored))
    copy = tmp_path / "same-bytes.mp4"  # another name, the same content: the same entry
    copy.write_bytes(moving.read_bytes())
    progress.clear()
    second = analyze_faces(settings, copy, on_progress=lambda f, _eta: progress.append(f))
    assert len(second.samples) == 3 and second.samples == first.samples[:3]
    assert progress == []


@pytest.fixture(scope="module")
def long_moving(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """17 s: four chunks, the face sliding slowly enough to stay in the frame."""
    folder = tmp_path_factory.mktemp("faces-long")
    return make_moving_face_clip(folder / "slow.mp4", seconds=17.0, speed=SLOW, fps=24)


SLOW = 25.0  # px/s


def test_only_the_asked_ranges_are_analysed_and_later_ranges_reuse_them(
    settings: Settings, long_moving: Path
) -> None:
    cache = AnalysisCache(settings.analysis_cache_dir)
    version = cache_version("blazeface")
    track = analyze_faces(settings, long_moving, ranges=[(6.2, 8.1)])
    assert track.ranges == [(CHUNK_S, 2 * CHUNK_S)]  # widened to the chunk around it
    assert [s.t for s in track.samples] == pytest.approx(
        [CHUNK_S + i / SAMPLE_HZ for i in range(round(CHUNK_S * SAMPLE_HZ))], abs=0.03
    )  # after a seek, on the source's sample grid
    for sample in track.samples:  # the right frames: the face is where it was at that time
        assert sample.main is not None
        assert abs(sample.main.center_x * 640 - moving_face_x(sample.t, SLOW)) < 16
    stored = [i for i in range(4) if cache.get(long_moving, CACHE_KIND, version, part=str(i))]
    assert stored == [1]

    marked = cache.get(long_moving, CACHE_KIND, version, part="1")
    marked["samples"] = marked["samples"][:2]  # a later edit must reuse, not redo, chunk 1
    cache.put(long_moving, CACHE_KIND, version, marked, part="1")
    progress: list[float] = []
    wider = analyze_faces(
        settings,
        long_moving,
        ranges=[(0.0, 2.0), (7.0, 12.0)],
        on_progress=lambda f, _eta: progress.append(f),
    )
    assert wider.ranges == [(0.0, 3 * CHUNK_S)]
    times = [s.t for s in wider.samples]
    in_chunk_1 = [t for t in times if CHUNK_S - 0.05 < t < 2 * CHUNK_S - 0.05]
    assert len(in_chunk_1) == 2  # the marked entry, as stored
    assert len(times) == 2 * round(CHUNK_S * SAMPLE_HZ) + 2 and times == sorted(times)
    assert progress and progress[-1] == 1.0
    stored = [i for i in range(4) if cache.get(long_moving, CACHE_KIND, version, part=str(i))]
    assert stored == [0, 1, 2]  # chunk 3 (15-17 s) was never needed


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)], ids=["720p", "1080p"])
@pytest.mark.parametrize("face_px", [40, 60])
def test_small_faces_are_found_in_the_corners_and_on_the_edges(
    size: tuple[int, int], face_px: int
) -> None:
    """Five faces in one picture, each touching the frame's edge: the top corners, the middle of
    the left and right edges, the middle of the bottom edge. The whole picture alone finds none."""
    width, height = size
    half = face_px / 2 + 1
    centres = [
        (half, half),
        (width - half, half),
        (half, height / 2),
        (width - half, height / 2),
        (width / 2, height - half),
    ]
    picture = still_face_picture(size, face_px, *centres)
    found = detector().detect(picture)
    assert not detector().detect_in(picture, [tile_layout(width, height).whole])
    assert len(found) == len(centres)
    for x, y in centres:
        near = [
            f
            for f in found
            if abs(f.center_x * width - x) < face_px / 2
            and abs(f.center_y * height - y) < face_px / 2
        ]
        assert len(near) == 1, f"the face at ({x:.0f}, {y:.0f}) was not found"
        assert 0.7 * face_px < near[0].w * width < 1.5 * face_px


def test_a_followed_small_face_costs_about_one_network_input_a_sample(
    settings: Settings, long_moving: Path
) -> None:
    found = detector()
    before = found.inferences
    track = analyze_faces(settings, long_moving, ranges=[(15.0, 17.0)])
    assert track.hits == len(track.samples) > 5
    # 640x360 has two tiles and one whole-picture pass: a scan is 3 inputs, following is 1.
    per_sample = (found.inferences - before) / len(track.samples)
    assert per_sample < 1.8
