"""Scene cuts of a source file: ffmpeg's ``scdet`` on a downscaled picture, cached.

``scdet`` scores how much each frame differs from the one before (0-100) and tags the frames
above ``threshold`` with ``lavfi.scd.time``; only those frames are printed, with their score.
Scaling to 160 px wide first makes the decode-and-compare cheap without changing which cuts are
found: a hard cut changes most of the picture at any size. The scaler averages areas (``area``),
which costs 40% less CPU than the default bicubic at this ratio (on an hour of 720p, a minute of
a core) and still anti-aliases. ffmpeg writes the tagged frames'
metadata to a file, which we parse; times are in source seconds (ffmpeg shifts the file's start
to 0, the same origin ``-ss`` uses).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from pydantic import BaseModel

from tilework.analysis.cache import AnalysisCache
from tilework.config import Settings
from tilework.media.runner import FFmpegRunner
from tilework.workers.port import JobContext

CACHE_KIND = "scene_cuts"
CACHE_VERSION = "2"  # 2: area scaling
DEFAULT_THRESHOLD = 10.0  # scdet's own default; hard cuts on real footage score 15-40
ANALYSIS_WIDTH = 160

_TIME = re.compile(r"^lavfi\.scd\.time=(?P<value>[-+0-9.eE]+)\s*$")
_SCORE = re.compile(r"^lavfi\.scd\.score=(?P<value>[-+0-9.eE]+)\s*$")


class SceneCut(BaseModel):
    time: float  # source seconds of the first frame of the new shot
    score: float  # scdet's score, 0-100: how different the frame is from the previous one


def parse_scdet_metadata(text: str) -> list[SceneCut]:
    """The cuts in a ``metadata=print`` dump of ``scdet`` (frames carrying ``lavfi.scd.time``).

    Each frame block starts with ``frame:N pts:... pts_time:...`` and lists its keys; the score
    comes before the time within a block, so the last score seen belongs to the next time.
    """
    cuts: list[SceneCut] = []
    score = 0.0
    for line in text.splitlines():
        if line.startswith("frame:"):
            score = 0.0
        elif match := _SCORE.match(line):
            score = float(match["value"])
        elif match := _TIME.match(line):
            cuts.append(SceneCut(time=round(float(match["value"]), 3), score=round(score, 3)))
    return cuts


def detect_scene_cuts(
    settings: Settings,
    path: Path,
    *,
    job: JobContext | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> list[SceneCut]:
    """The hard cuts in ``path``'s picture (cached by content hash), earliest first."""
    cache = AnalysisCache(settings.analysis_cache_dir)
    version = f"{CACHE_VERSION}-t{threshold:g}-w{ANALYSIS_WIDTH}"
    raw = cache.get_or_compute(
        path,
        CACHE_KIND,
        version,
        lambda: [c.model_dump() for c in _detect(settings, path, job, threshold)],
    )
    return [SceneCut.model_validate(item) for item in raw]


def _detect(
    settings: Settings, path: Path, job: JobContext | None, threshold: float
) -> list[SceneCut]:
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.work_dir, prefix="scdet-") as tmp:
        dump = Path(tmp) / "scdet.txt"
        graph = (
            f"scale={ANALYSIS_WIDTH}:-2:flags=area,scdet=threshold={threshold:g},"
            "metadata=mode=select:key=lavfi.scd.time,"
            f"metadata=mode=print:file={_filter_path(dump)}"
        )
        args = ["-i", str(Path(path).absolute()), "-an", "-sn", "-dn", "-vf", graph]
        FFmpegRunner(settings).run([*args, "-f", "null", "-"], job=job)
        text = dump.read_text(encoding="utf-8", errors="replace") if dump.exists() else ""
    return sorted(parse_scdet_metadata(text), key=lambda cut: cut.time)


def _filter_path(path: Path) -> str:
    """``path`` escaped twice, as a filter option value inside a filter graph (ffmpeg-filters
    "Notes on filtergraph escaping"), so a data dir with ``:`` or ``,`` in its name works."""
    value = str(path.absolute())
    for char in ("\\", "'", ":"):
        value = value.replace(char, "\\" + char)
    for char in ("\\", "'", "[", "]", ",", ";"):
        value = value.replace(char, "\\" + char)
    return value
