"""Shorts from an hour-long talk whose speaker is small in the frame: does every short keep the
face, and what does Reframe cost?

The source is ``bench/talk.py``'s generated talk (default 60 minutes of 1280x720 at 30 fps,
the speaker's face 55 px wide, walking across the stage; ``BENCH_TALK_MINUTES`` makes it shorter
while iterating). The agent is the shorts pipeline: clips (10 x 30 s) -> reframe 9:16 ->
captions -> render, run in-process (``engine/preview.py``), each node timed.

1. **Reframe** runs with no face analysis cached (the talk's face entries are removed first):
   its time is what a user waits for on a new upload, and it is almost all face detection, over
   only the minutes the shorts use. Transcript, speech and scene analyses are kept in the bench
   cache between runs (``.tilework/bench-cache/data``): they are not what is measured.
2. **Faces kept**: OpenCV's Haar cascade, an independent detector, looks at five frames of each
   short; a short keeps the face when every one has the face in its middle third.
3. **Side by side** on the same two minutes, in one run so machine load hits both alike:
   whole-picture-only detection at 5 Hz (what Reframe did before tiles) against the multi-scale
   face track, in seconds per analysed minute and share of samples with a face.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import cv2
import numpy as np

from bench.talk import CACHE_DIR, Talk, make_talk
from tilework.analysis.cache import AnalysisCache, content_hash
from tilework.analysis.face_tiles import tile_layout
from tilework.analysis.face_track import CACHE_KIND, analyze_faces
from tilework.analysis.faces import SAMPLE_HZ, detector
from tilework.config import Settings
from tilework.engine.preview import PreviewOutput, preview_agent
from tilework.media.timeline import clip_segments
from tilework.sdk.agent_yaml import parse_agent_yaml
from tilework.tiles.registry import default_registry

SHORTS = """
name: Talk shorts
nodes:
  - {id: input, type: video-input}
  - {id: clips, type: clips, params: {num_clips: 10, target_duration: 30}}
  - {id: reframe, type: reframe, params: {shape: "9:16"}}
  - {id: captions, type: captions, params: {caption_style: colored, position: bottom}}
  - {id: render, type: render, params: {resolution: "720x1280", quality: medium}}
edges: [[input, clips], [clips, reframe], [reframe, captions], [captions, render]]
"""
CHECKS_PER_SHORT = 5
SIDE_BY_SIDE = (600.0, 720.0)  # source seconds compared both ways
SIDE_BY_SIDE_PIECES = 4
HAAR = "haarcascade_frontalface_default.xml"


def main() -> None:
    minutes = float(os.environ.get("BENCH_TALK_MINUTES", "60"))
    started = time.perf_counter()
    talk = make_talk(minutes)
    made = time.perf_counter() - started
    settings = Settings(data_dir=CACHE_DIR / "data")
    forget_faces(settings, talk.path)
    steps: dict[str, tuple[float, float]] = {}  # node: (wall s, CPU s of this process)
    last = [time.perf_counter(), time.process_time()]

    def on_step(node: str, _items: int, _message: str) -> None:
        now = [time.perf_counter(), time.process_time()]
        steps[node] = (now[0] - last[0], now[1] - last[1])
        last[:] = now

    spec = parse_agent_yaml(SHORTS)
    outputs = preview_agent(
        spec, default_registry(), settings, talk.path, render=True, on_step=on_step
    )
    analysed = analysed_minutes(outputs)
    total = time.perf_counter() - started - made
    kept = sum(keeps_face(output, talk) for output in outputs)
    print(f"reframe_talk.source\t{minutes:g}\tmin (1280x720 30 fps, face {talk.face_px} px)")
    print(f"reframe_talk.source_ready\t{made:.1f}\ts (generated or from {CACHE_DIR.name})")
    for node in ("clips", "reframe", "captions", "render"):
        wall, cpu = steps.get(node, (0.0, 0.0))
        print(f"reframe_talk.{node}_node\t{wall:.1f}\ts ({cpu:.1f} s CPU in this process)")
    print(f"reframe_talk.analysed\t{analysed:.2f}\tmin of the source (faces)")
    wall, cpu = steps.get("reframe", (0.0, 0.0))
    per_minute = (wall / analysed, cpu / analysed) if analysed else (0.0, 0.0)
    print(
        f"reframe_talk.reframe_per_analysed_min\t{per_minute[0]:.1f}\ts ({per_minute[1]:.1f} CPU)"
    )
    print(f"reframe_talk.agent\t{total:.1f}\ts (every node, in-process, one after another)")
    print(f"reframe_talk.faces_kept\t{kept}\tof {len(outputs)} shorts")
    whole_only = side_by_side(settings, talk)
    print(
        f"reframe_talk.before_estimate\t{whole_only * minutes:.0f}\ts: whole-picture detection "
        f"over the whole {minutes:g} min, as Reframe did before (same-run rate x length)"
    )


def forget_faces(settings: Settings, path: Path) -> None:
    """Remove the talk's cached face chunks, so Reframe's time is that of a first run."""
    digest = content_hash(path)
    folder = AnalysisCache(settings.analysis_cache_dir).root / digest[:2]
    for entry in folder.glob(f"{digest}.{CACHE_KIND}.*.json"):
        entry.unlink()


def analysed_minutes(outputs: list[PreviewOutput]) -> float:
    """The source minutes face detection covered, from the ranges stored with the track."""
    spans: set[tuple[float, float]] = set()
    for output in outputs:
        for segment in clip_segments(output.timeline):
            faces = segment.reference_metadata.get("faces") or {}
            spans.update((float(a), float(b)) for a, b in faces.get("ranges", []))
    covered, end = 0.0, 0.0
    for start, stop in sorted(spans):  # union of possibly overlapping spans
        covered += max(0.0, stop - max(start, end))
        end = max(end, stop)
    return covered / 60


def keeps_face(output: PreviewOutput, talk: Talk) -> bool:
    """Whether Haar finds the speaker's face in the middle third of every checked frame."""
    assert output.rendered is not None
    capture = cv2.VideoCapture(str(output.rendered.video))
    try:
        frames = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        expected = talk.face_px * height / talk.height  # the crop is scaled to the output
        for index in np.linspace(frames * 0.05, frames * 0.95, CHECKS_PER_SHORT).astype(int):
            capture.set(cv2.CAP_PROP_POS_FRAMES, int(index))
            ok, image = capture.read()
            if not ok or not _face_in_middle_third(image, expected, width):
                return False
        return True
    finally:
        capture.release()


def _face_in_middle_third(image: np.ndarray, face_px: float, width: int) -> bool:
    cascade = cv2.CascadeClassifier(str(Path(cv2.data.haarcascades) / HAAR))
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    low, high = round(0.6 * face_px), round(1.6 * face_px)
    boxes, _levels, weights = cascade.detectMultiScale3(
        gray, 1.1, 5, minSize=(low, low), maxSize=(high, high), outputRejectLevels=True
    )
    if len(boxes) == 0:
        return False
    x, _y, w, _h = np.array(boxes).reshape(-1, 4)[int(np.argmax(weights))]
    return width / 3 < x + w / 2 < 2 * width / 3


def side_by_side(settings: Settings, talk: Talk) -> float:
    """Whole-picture-only detection against the multi-scale track, on the same stretch; returns
    the former's seconds per analysed minute."""
    start, end = SIDE_BY_SIDE
    start, end = min(start, talk.minutes * 60 - 120), min(end, talk.minutes * 60)
    minutes = (end - start) / 60
    found = detector()
    forget_faces(settings, talk.path)
    single = single_cpu = multi = multi_cpu = 0.0
    single_hits = samples = inputs = hits = multi_samples = 0
    piece = (end - start) / SIDE_BY_SIDE_PIECES
    for index in range(SIDE_BY_SIDE_PIECES):  # alternated, so changing load hits both alike
        a, b = start + index * piece, start + (index + 1) * piece
        began, began_cpu = time.perf_counter(), time.process_time()
        found_hits, found_samples = _whole_picture_only(talk.path, a, b)
        single += time.perf_counter() - began
        single_cpu += time.process_time() - began_cpu
        single_hits, samples = single_hits + found_hits, samples + found_samples
        before = found.inferences
        began, began_cpu = time.perf_counter(), time.process_time()
        track = analyze_faces(settings, talk.path, ranges=[(a, b)])
        multi += time.perf_counter() - began
        multi_cpu += time.process_time() - began_cpu
        inputs += found.inferences - before
        hits, multi_samples = hits + track.hits, multi_samples + len(track.samples)
    inputs_per_sample = inputs / max(1, multi_samples)
    share = hits / max(1, multi_samples)
    print(
        f"reframe_talk.whole_picture_only_per_min\t{single / minutes:.1f}\ts per analysed min "
        f"({single_cpu / minutes:.1f} CPU)"
    )
    print(f"reframe_talk.whole_picture_only_faces\t{single_hits / max(1, samples):.0%}\tof samples")
    print(
        f"reframe_talk.multi_scale_per_min\t{multi / minutes:.1f}\ts per analysed min "
        f"({multi_cpu / minutes:.1f} CPU)"
    )
    print(f"reframe_talk.multi_scale_faces\t{share:.0%}\tof samples")
    print(
        f"reframe_talk.multi_scale_inputs_per_sample\t{inputs_per_sample:.2f}\t"
        "(whole picture only: 1)"
    )
    print(f"reframe_talk.multi_over_whole_only\t{multi / single:.2f}\tx time per analysed min")
    return single / minutes


def _whole_picture_only(path: Path, start: float, end: float) -> tuple[int, int]:
    """Decode [start, end) and run the detector on the whole picture at 5 Hz: the old way.
    Returns the samples with a face and all samples."""
    found = detector()
    capture = cv2.VideoCapture(str(path))
    capture.set(cv2.CAP_PROP_POS_MSEC, start * 1000)
    fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
    whole = None
    hits = samples = 0
    next_t = start
    while capture.grab():
        t = capture.get(cv2.CAP_PROP_POS_MSEC) / 1000
        if t >= end:
            break
        if t + 0.5 / fps < next_t:
            continue
        ok, image = capture.retrieve()
        if not ok:
            continue
        whole = whole or tile_layout(image.shape[1], image.shape[0]).whole
        hits += bool(found.detect_in(image, [whole]))
        samples += 1
        next_t += 1 / SAMPLE_HZ
    capture.release()
    return hits, samples


if __name__ == "__main__":
    main()
