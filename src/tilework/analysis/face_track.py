"""The face track of a source file: where the faces are, sampled ``SAMPLE_HZ`` times a second,
over only the stretches an edit uses.

**What is analysed.** The caller names source ranges (Reframe: its cuts); they are widened to
whole ``CHUNK_S`` chunks of the source's time line, and each chunk is cached on its own
(``analysis/cache.py``, by the file's content hash, the detector, the sampling and the chunk's
index). A later edit of the same file reuses every chunk analysed before and decodes only the
new ones; consecutive missing chunks are decoded in one pass after one seek.

**What is looked at per sample** (see ``analysis/faces.py`` for the detector and
``analysis/face_tiles.py`` for the tiles), cheapest first:

1. While a small face found in the tiles is being followed, only the one tile around where it
   was (``Layout.around``): one network input per sample.
2. Otherwise the whole picture (one input); a face found there is the largest one.
3. If the whole picture has none, every tile, but at most once every ``scan_every`` seconds
   (1-2 s, from the number of tiles: ``SCAN_BUDGET`` inputs a second) and at once when a
   followed face is lost; the samples in between find nothing and the crop path bridges them.
   A scan is also due while following, so a larger face elsewhere is not missed for long.

Frames are decoded with ``cv2.VideoCapture`` (every frame grabbed, only the sampled ones
converted), so no picture data crosses a pipe. Times are source seconds, boxes fractions of the
frame.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from tilework.analysis.cache import AnalysisCache
from tilework.analysis.face_tiles import Layout, Window, tile_layout
from tilework.analysis.faces import (
    SAMPLE_HZ,
    Detector,
    FaceBox,
    FaceDetector,
    FaceSample,
    FaceTrack,
    ProgressCallback,
    detector,
)
from tilework.config import Settings
from tilework.errors import MediaError, TaskAborted
from tilework.workers.port import JobContext

CACHE_KIND = "faces"
CACHE_VERSION = "2"
CHUNK_S = 5.0  # the unit of analysis and of caching, in source seconds
SCAN_BUDGET = 8.0  # tile inputs a second spent on scans for faces not yet followed
SCAN_EVERY_S = (1.0, 2.0)  # bounds of the time between two tile scans
Range = tuple[float, float]


def cache_version(kind: str) -> str:
    """What a cached chunk depends on besides the file: the detector and the sampling."""
    return f"{CACHE_VERSION}-{kind}-{SAMPLE_HZ:g}hz-{CHUNK_S:g}s"


def analyze_faces(
    settings: Settings,
    path: Path,
    *,
    ranges: Iterable[Range] | None = None,
    job: JobContext | None = None,
    on_progress: ProgressCallback | None = None,
) -> FaceTrack:
    """The face track of ``path`` over ``ranges`` (source seconds; ``None``: the whole file),
    sampled on the source's ``SAMPLE_HZ`` grid, from cached chunks where they exist."""
    found = detector()
    store = AnalysisCache(settings.analysis_cache_dir)
    version = cache_version(found.kind)
    wanted = list(ranges) if ranges is not None else None
    chunks = chunks_of(wanted) if wanted is not None else None
    stored = {i: store.get(path, CACHE_KIND, version, part=str(i)) for i in chunks or []}
    missing = [i for i in chunks or [] if stored[i] is None]
    if chunks is None or missing:
        with _capture(path) as capture:
            if chunks is None:
                chunks = list(range(math.ceil(_duration(capture) / CHUNK_S)))
                stored = {i: store.get(path, CACHE_KIND, version, part=str(i)) for i in chunks}
                missing = [i for i in chunks if stored[i] is None]
            progress = _Progress(len(missing), on_progress)
            for run in consecutive(missing):
                for index, chunk in _analyse_run(capture, found, run, job, progress).items():
                    store.put(path, CACHE_KIND, version, chunk, part=str(index))
                    stored[index] = chunk
            if missing and on_progress is not None:
                on_progress(1.0, 0.0)
    track = _joined(found.kind, [stored[i] for i in chunks])
    track.ranges = [] if wanted is None else _spans(chunks)
    return track


def chunks_of(ranges: Iterable[Range]) -> list[int]:
    """The indexes of the chunks that cover ``ranges``, in order."""
    indexes: set[int] = set()
    for start, end in ranges:
        first = max(0, math.floor(max(0.0, start) / CHUNK_S))
        last = max(first, math.ceil(end / CHUNK_S) - 1)
        indexes.update(range(first, last + 1))
    return sorted(indexes)


def consecutive(indexes: list[int]) -> Iterator[list[int]]:
    """Sorted indexes in runs of consecutive ones."""
    run: list[int] = []
    for index in indexes:
        if run and index != run[-1] + 1:
            yield run
            run = []
        run.append(index)
    if run:
        yield run


def _spans(chunks: list[int]) -> list[Range]:
    return [(run[0] * CHUNK_S, (run[-1] + 1) * CHUNK_S) for run in consecutive(chunks)]


def _joined(kind: Detector, chunks: list[Any]) -> FaceTrack:
    samples = [FaceSample.model_validate(s) for chunk in chunks for s in chunk["samples"]]
    sizes = [(chunk["width"], chunk["height"]) for chunk in chunks if chunk["width"]]
    width, height = sizes[0] if sizes else (0, 0)
    if not samples:
        raise MediaError("no video frames to look for faces in")
    return FaceTrack(
        detector=kind, sample_hz=SAMPLE_HZ, width=width, height=height, samples=samples
    )


@contextmanager
def _capture(path: Path) -> Iterator[Any]:
    import cv2

    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise MediaError(f"{path.name}: cannot decode the video for face detection")
    try:
        yield capture
    finally:
        capture.release()


def _duration(capture: Any) -> float:
    import cv2

    fps = float(capture.get(cv2.CAP_PROP_FPS)) or 25.0
    return max(1.0, float(capture.get(cv2.CAP_PROP_FRAME_COUNT))) / fps


class _Progress:
    """Progress over the chunks to analyse, reported in steps of 1%."""

    def __init__(self, chunks: int, callback: ProgressCallback | None) -> None:
        self.total = max(1, chunks) * CHUNK_S
        self.done = 0.0
        self.reported = 0.0
        self.callback = callback

    def advance(self, seconds: float) -> None:
        self.done += seconds
        fraction = min(1.0, self.done / self.total)
        if self.callback is not None and fraction >= self.reported + 0.01:
            self.reported = fraction
            self.callback(fraction, None)


def _analyse_run(
    capture: Any,
    found: FaceDetector,
    run: list[int],
    job: JobContext | None,
    progress: _Progress,
) -> dict[int, dict[str, Any]]:
    """Sample consecutive chunks in one pass: one seek, then every frame grabbed in order."""
    import cv2

    fps = float(capture.get(cv2.CAP_PROP_FPS)) or 25.0
    width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
    height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    per_chunk = round(CHUNK_S * SAMPLE_HZ)
    start, end = run[0] * per_chunk, (run[-1] + 1) * per_chunk  # sample grid indexes
    chunks: dict[int, dict[str, Any]] = {
        i: {"width": width, "height": height, "samples": []} for i in run
    }
    scanner = _Scanner(found, tile_layout(width, height) if width and height else None)
    if start > 0:
        capture.set(cv2.CAP_PROP_POS_MSEC, start / SAMPLE_HZ * 1000)
    half_frame = 0.5 / fps
    grid, last_t = start, -1.0
    while grid < end and capture.grab():
        if job is not None and job.should_abort():
            raise TaskAborted()
        position = float(capture.get(cv2.CAP_PROP_POS_MSEC)) / 1000
        t = position if position > last_t else last_t + 1 / fps  # some files report no time
        last_t = t
        if t + half_frame < grid / SAMPLE_HZ:
            continue
        ok, image = capture.retrieve()
        if not ok or image is None:
            continue
        faces = scanner.faces_at(image, t)
        sample = FaceSample(t=round(t, 3), faces=faces).model_dump(mode="json")
        chunks[grid // per_chunk]["samples"].append(sample)
        progress.advance(1 / SAMPLE_HZ)
        grid = max(grid + 1, math.floor((t + half_frame) * SAMPLE_HZ) + 1)
    return chunks


class _Scanner:
    """Which windows to look at for one sample, remembering the small face it follows."""

    def __init__(self, found: FaceDetector, layout: Layout | None) -> None:
        self.found = found
        self.layout = layout if found.kind == "blazeface" else None
        tiles = len(layout.tiles) if layout is not None else 0
        low, high = SCAN_EVERY_S
        self.scan_every = min(high, max(low, tiles / SCAN_BUDGET))
        self.followed: FaceBox | None = None  # a face only the tiles found, at the last sample
        self.last_scan: float | None = None

    def faces_at(self, image: np.ndarray, t: float) -> list[FaceBox]:
        layout = self.layout
        if layout is None or not layout.tiles:
            return self.found.detect(image)
        if self.followed is not None and not self._scan_due(t):
            near = self.found.detect_in(image, [self._around(layout, self.followed)])
            if near:
                self.followed = near[0]
                return near
        whole = self.found.detect_in(image, [layout.whole])
        if whole:
            self.followed = None
            return whole
        if self.followed is None and not self._scan_due(t):
            return []  # the crop path bridges the samples between scans
        self.last_scan = t
        tiled = self.found.detect_in(image, layout.tiles)
        self.followed = tiled[0] if tiled else None
        return tiled

    def _scan_due(self, t: float) -> bool:
        return self.last_scan is None or t - self.last_scan >= self.scan_every - 1e-6

    @staticmethod
    def _around(layout: Layout, face: FaceBox) -> Window:
        width, height = layout.width, layout.height
        return layout.around(face.center_x * width, face.center_y * height, face.w * width)
