"""The face track of a source file: where the faces are, sampled ``SAMPLE_HZ`` times a second,
over only the stretches an edit uses.

**What is analysed.** The caller names source ranges (Reframe: its cuts); they are widened to
whole ``CHUNK_S`` chunks of the source's time line, and each chunk is cached on its own
(``analysis/cache.py``, by the file's content hash, the detector, the sampling and the chunk's
index). A later edit of the same file reuses every chunk analysed before and decodes only the
new ones; consecutive missing chunks are decoded in one pass after one seek.

**What is looked at per sample** (see ``analysis/faces.py`` for the detector and
``analysis/face_tiles.py`` for the tiles), cheapest first:

1. While a small face found in the tiles is being followed: the one tile around where it was
   (``Layout.around``), one network input; the whole picture too once a second
   (``WHOLE_FOLLOWING_S``), in case a larger face came in; and every tile every
   ``RESCAN_FOLLOWING_S``, for a larger small face elsewhere. Losing the face means a search.
2. Otherwise (a search) the whole picture, one input; a face found there is the largest one.
3. If the whole picture has none, every tile, but at most once every ``scan_every`` seconds
   (1-2 s, from the number of tiles: ``SCAN_BUDGET`` inputs a second) unless a followed face
   was just lost; the samples in between find nothing and the crop path bridges them.

At 720p a followed 55 px face costs about 1.5 network inputs a sample; a face large enough to
be seen whole, one (as whole-picture detection alone did).

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
from tilework.analysis.face_tiles import Layout, tile_layout
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
SCAN_BUDGET = 8.0  # tile inputs a second spent on scans while no face is followed
SCAN_EVERY_S = (1.0, 2.0)  # bounds of the time between two such scans
RESCAN_FOLLOWING_S = 5.0  # a full scan while following a face, for a larger one elsewhere
WHOLE_FOLLOWING_S = 1.0  # the whole picture while following, for a large face coming in
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
    chunks = chunks_of([(0.0, _duration(path))] if ranges is None else ranges)
    stored = {i: store.get(path, CACHE_KIND, version, part=str(i)) for i in chunks}
    missing = [i for i in chunks if stored[i] is None]
    if missing:
        progress = _Progress(len(missing), on_progress)
        with _capture(path) as capture:
            for run in consecutive(missing):
                for index, chunk in _analyse_run(capture, found, run, job, progress).items():
                    store.put(path, CACHE_KIND, version, chunk, part=str(index))
                    stored[index] = chunk
        if on_progress is not None:
            on_progress(1.0, 0.0)
    spans = [] if ranges is None else _spans(chunks)
    return _joined(found.kind, [stored[i] for i in chunks], spans)


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


def _joined(kind: Detector, chunks: list[Any], spans: list[Range]) -> FaceTrack:
    samples = [FaceSample.model_validate(s) for chunk in chunks for s in chunk["samples"]]
    sizes = [(chunk["width"], chunk["height"]) for chunk in chunks if chunk["width"]]
    width, height = sizes[0] if sizes else (0, 0)
    if not samples:
        raise MediaError("no video frames to look for faces in")
    return FaceTrack(
        detector=kind,
        sample_hz=SAMPLE_HZ,
        width=width,
        height=height,
        samples=samples,
        ranges=spans,
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


def _duration(path: Path) -> float:
    """The video's length from its container (frame count over rate)."""
    import cv2

    with _capture(path) as capture:
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
        self.last_whole: float | None = None

    def faces_at(self, image: np.ndarray, t: float) -> list[FaceBox]:
        layout = self.layout
        if layout is None or not layout.tiles:
            return self.found.detect(image)
        if self.followed is not None and not _due(t, self.last_scan, RESCAN_FOLLOWING_S):
            return self._follow(image, t, layout, self.followed)
        return self._search(image, t, layout, lost=False)

    def _follow(self, image: np.ndarray, t: float, layout: Layout, face: FaceBox) -> list[FaceBox]:
        """The followed face, looked for in one window around where it was; now and then the
        whole picture first, in case a larger face came in."""
        if _due(t, self.last_whole, WHOLE_FOLLOWING_S):
            whole = self._whole(image, t, layout)
            if whole:
                return whole
        width, height = layout.width, layout.height
        window = layout.around(face.center_x * width, face.center_y * height, face.w * width)
        near = self.found.detect_in(image, [window])
        if near:
            self.followed = near[0]
            return near
        return self._search(image, t, layout, lost=True)

    def _search(self, image: np.ndarray, t: float, layout: Layout, lost: bool) -> list[FaceBox]:
        """The whole picture, then (when a scan is due, or the followed face was lost) the
        tiles."""
        if self.last_whole != t:
            whole = self._whole(image, t, layout)
            if whole:
                return whole
        if not lost and not _due(t, self.last_scan, self.scan_every):
            return []  # the crop path bridges the samples between scans
        self.last_scan = t
        tiled = self.found.detect_in(image, layout.tiles)
        self.followed = tiled[0] if tiled else None
        return tiled

    def _whole(self, image: np.ndarray, t: float, layout: Layout) -> list[FaceBox]:
        self.last_whole = t
        whole = self.found.detect_in(image, [layout.whole])
        if whole:
            self.followed = None  # a face seen whole is larger than any only the tiles see
        return whole


def _due(t: float, last: float | None, every: float) -> bool:
    return last is None or t - last >= every - 1e-6
