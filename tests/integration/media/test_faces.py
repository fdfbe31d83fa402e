"""Face detection on real clips: BlazeFace accuracy, the Haar fallback, no false faces, caching."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest

from tests.support.frames import frame_at, make_moving_face_clip, moving_face_x, moving_face_y
from tests.support.media import requires_ffmpeg
from tilework.analysis.cache import AnalysisCache
from tilework.analysis.faces import (
    CACHE_KIND,
    CACHE_VERSION,
    SAMPLE_HZ,
    FaceDetector,
    analyze_faces,
    blazeface_model,
)
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
    cache = AnalysisCache(settings.analysis_cache_dir)
    entry = cache.entry_path(moving, CACHE_KIND, f"{CACHE_VERSION}-blazeface-{SAMPLE_HZ:g}hz")
    assert entry.is_file()
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
