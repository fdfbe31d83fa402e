"""Node-level reuse: a task that would compute what an earlier task of the organization already
computed takes that task's result instead of running its tile, like a build cache.

Two tasks compute the same thing when they have the same **reuse key**: a sha256 of the canonical
JSON of the organization, the tile's type id, the code (a fingerprint of every module of the
installed ``tilework`` package and its version: any code change invalidates every earlier
result), what the tile's answer depends on besides its input (ffmpeg's major version, the speech
model, the prompt ranking and the tile's ``features``), its validated parameters (defaults
filled in, so ``{}`` and the explicit defaults are one key) and its input timeline as stored
(portable: sources are named by blob key, and a blob key's bytes never change). A re-run that
changes only the captions' colour then runs Captions and what follows it; Clips and Reframe take
their earlier timelines.

Only tiles whose result is a pure function of that key opt in (``REUSABLE_TILES``: timeline
edits and analyses cached by content anyway). Never reused: Video Input (it records the run's
input), Render and any leaf (they produce the run's files, which belong to their run), tiles
that read uploads by id (Overlay, Music, Intro/Outro). The organization is part of the key *and*
of the look-up, so nothing crosses tenants. A reused task still goes through claim and record:
its node statuses and RUN_PROGRESS events are those of a task that ran, with the earlier
status message; its credit hold is released, not charged (no work was done, ``docs/billing.md``).
``TILEWORK_REUSE_RESULTS=false`` turns reuse off.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select

import tilework
from tilework.config import Settings
from tilework.db.session import unit_of_work
from tilework.db.tables import Run, Task
from tilework.engine.context import EngineContext
from tilework.media.runner import FFmpegRunner
from tilework.tiles.audio_enhance import AUDIO_ENHANCE_TYPE_ID
from tilework.tiles.base import Tile
from tilework.tiles.captions import CAPTIONS_TYPE_ID
from tilework.tiles.clips import CLIPS_TYPE_ID
from tilework.tiles.reframe import REFRAME_TYPE_ID
from tilework.tiles.registry import TileRegistry
from tilework.tiles.silence_removal import SILENCE_REMOVAL_TYPE_ID
from tilework.tiles.trim import TRIM_TYPE_ID

REUSABLE_TILES = frozenset(
    {
        TRIM_TYPE_ID,
        CLIPS_TYPE_ID,
        SILENCE_REMOVAL_TYPE_ID,
        CAPTIONS_TYPE_ID,
        AUDIO_ENHANCE_TYPE_ID,
        REFRAME_TYPE_ID,
    }
)


@dataclass(frozen=True)
class Reused:
    """An earlier task's result: its output timelines (portable) and status message."""

    task_id: str
    timelines: list[dict[str, Any]]
    status_message: str | None


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """sha256 of the package's version and every module's bytes, once per process."""
    root = Path(tilework.__file__).parent
    digest = hashlib.sha256(tilework.__version__.encode())
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def environment(settings: Settings, tile: Tile) -> dict[str, Any]:
    """What a tile's result depends on besides its code, parameters and input."""
    return {
        "ffmpeg": FFmpegRunner(settings).ffmpeg_major(),
        "asr_model": settings.asr_model,
        "asr_compute_type": settings.asr_compute_type,
        "prompt_ranking": settings.prompt_ranking,
        "features": tile.features(settings),
    }


def task_key(
    *,
    org_id: str,
    type_id: str,
    code: str,
    environment: dict[str, Any],
    params: dict[str, Any],
    input_timeline: dict[str, Any],
) -> str:
    """The reuse key: sha256 of the canonical JSON (sorted keys, no spaces) of all of it."""
    document = {
        "organization": org_id,
        "type_id": type_id,
        "code": code,
        "environment": environment,
        "params": params,
        "input": input_timeline,
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def key_of(
    settings: Settings,
    tiles: TileRegistry,
    *,
    org_id: str,
    node_type_id: str,
    params: dict[str, Any],
    input_timeline: dict[str, Any],
    is_leaf: bool,
    is_input: bool,
) -> str | None:
    """The task's reuse key, or None when it must run (reuse off, a tile that does not opt in,
    an input, a leaf that renders the run's outputs)."""
    if not settings.reuse_results or is_leaf or is_input:
        return None
    if node_type_id not in REUSABLE_TILES:
        return None
    tile = tiles.get(node_type_id)
    return task_key(
        org_id=org_id,
        type_id=node_type_id,
        code=code_fingerprint(),
        environment=environment(settings, tile),
        params=tile.parse_params(params).model_dump(mode="json"),
        input_timeline=input_timeline,
    )


def find(ctx: EngineContext, org_id: str, key: str) -> Reused | None:
    """The newest completed task of ``org_id`` with ``key`` (its original, when it was itself
    reused), or None."""
    query = (
        select(Task.id, Task.reused_from, Task.output_timelines, Task.status_message)
        .join(Run, Run.id == Task.run_id)
        .where(
            Task.reuse_key == key,
            Task.status == "completed",
            Run.organization_id == org_id,
        )
        .order_by(Task.finished_at.desc())
        .limit(1)
    )
    with unit_of_work(ctx.sessions) as session:
        row = session.execute(query).first()
    if row is None or row.output_timelines is None:
        return None
    return Reused(row.reused_from or row.id, list(row.output_timelines), row.status_message)
