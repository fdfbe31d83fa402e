"""Analyses started ahead: which tiles a task prefetches for, and what a prefetch leaves behind."""

from __future__ import annotations

import threading
import time
from itertools import pairwise
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from tests.integration.webhooks.rows import make_run
from tests.support.media import requires_ffmpeg, tile_context
from tests.support.talking import short_talking_clip
from tilework.analysis.asr import CACHE_KIND, CACHE_VERSION, transcribe
from tilework.analysis.cache import AnalysisCache
from tilework.config import Settings
from tilework.db.session import unit_of_work
from tilework.db.tables import RunEdge, RunNode
from tilework.engine import events, prefetch
from tilework.media.probe import probe
from tilework.media.runner import FFmpegRunner
from tilework.media.timeline import source_timeline
from tilework.tiles.captions import CAPTIONS_TYPE_ID, CaptionsTile
from tilework.tiles.reframe import REFRAME_TYPE_ID
from tilework.tiles.registry import default_registry
from tilework.tiles.render import RENDER_TYPE_ID
from tilework.tiles.trim import TRIM_TYPE_ID
from tilework.tiles.video_input import VIDEO_INPUT_TYPE_ID


def test_a_task_prefetches_for_the_tiles_down_its_branch_until_a_render(
    sessions: sessionmaker[Session],
) -> None:
    run_id = make_run(sessions)
    chain = [VIDEO_INPUT_TYPE_ID, REFRAME_TYPE_ID, CAPTIONS_TYPE_ID, RENDER_TYPE_ID]
    with unit_of_work(sessions) as session:
        nodes = [RunNode(run_id=run_id, node_type_id=t, position=i) for i, t in enumerate(chain)]
        after_render = RunNode(run_id=run_id, node_type_id=CAPTIONS_TYPE_ID, position=9)
        session.add_all([*nodes, after_render])
        session.flush()
        pairs = [*pairwise(nodes), (nodes[-1], after_render)]
        for source, target in pairs:
            session.add(RunEdge(run_id=run_id, source_node_id=source.id, target_node_id=target.id))
        session.flush()
        graph = events.run_graph(session, run_id)
        tiles = default_registry()

        def ahead(node: RunNode) -> tuple[str, ...]:
            return prefetch.downstream_prefetches(tiles, graph, node.id)

        assert ahead(nodes[0]) == ahead(nodes[1]) == (CAPTIONS_TYPE_ID,)
        assert ahead(nodes[2]) == ()  # its own analyses are its run's business
        assert ahead(nodes[3]) == (CAPTIONS_TYPE_ID,)  # the captions after it read the render
        assert ahead(after_render) == ()


def test_a_run_whose_tiles_prefetch_nothing_walks_nothing(sessions: sessionmaker[Session]) -> None:
    run_id = make_run(sessions)
    chain = [VIDEO_INPUT_TYPE_ID, *[TRIM_TYPE_ID] * 5, RENDER_TYPE_ID]
    with unit_of_work(sessions) as session:
        nodes = [RunNode(run_id=run_id, node_type_id=t, position=i) for i, t in enumerate(chain)]
        session.add_all(nodes)
        session.flush()
        for source, target in pairwise(nodes):
            session.add(RunEdge(run_id=run_id, source_node_id=source.id, target_node_id=target.id))
        session.flush()
        graph = events.run_graph(session, run_id)
        tiles = default_registry()
        assert all(prefetch.downstream_prefetches(tiles, graph, n.id) == () for n in nodes)


@requires_ffmpeg
def test_the_prefetch_leaves_the_transcript_the_captions_tile_reads(
    settings: Settings, tmp_path: Path
) -> None:
    talking = short_talking_clip(tmp_path)
    info = probe(FFmpegRunner(settings), talking.path)
    tl = source_timeline(talking.path, info, start_ms=None, end_ms=None, name="talk")
    store = AnalysisCache(settings.analysis_cache_dir)
    version = f"{CACHE_VERSION}-{settings.asr_model}"
    assert store.get(talking.path, CACHE_KIND, version) is None
    threads = prefetch.start(settings, default_registry(), (CAPTIONS_TYPE_ID,), tl)
    for thread in threads:
        thread.join(120)
    cached = store.get(talking.path, CACHE_KIND, version)
    assert cached is not None and cached["sentences"]
    tile = CaptionsTile()
    result = tile.run(tile_context(settings, tmp_path / "work"), tile.parse_params({}), tl)
    assert str(len(transcribe(settings, talking.path).words)) in (result.status_message or "")


def test_an_answer_being_computed_is_awaited_not_computed_again(tmp_path: Path) -> None:
    source = tmp_path / "source.bin"
    source.write_bytes(b"some media")
    store = AnalysisCache(tmp_path / "cache")
    calls: list[int] = []

    def slow() -> dict[str, int]:
        calls.append(1)
        time.sleep(0.3)
        return {"answer": 42}

    answers: list[object] = []
    threads = [
        threading.Thread(
            target=lambda: answers.append(store.get_or_compute(source, "kind", "1", slow))
        )
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert answers == [{"answer": 42}] * 3 and len(calls) == 1
