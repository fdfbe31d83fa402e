"""Run an agent's graph in-process on one local file, without a server or a database.

``tilework explain`` uses it to show the ffmpeg command each output would be rendered with, and
the render benchmark to time the fused render. It follows the engine's rules (topological order,
fan-out: every timeline a node returns is one item for each child; a leaf that is not a render
tile is rendered with the Render defaults) but keeps everything in memory. Analysis tiles really
run (their results are cached by content hash, so a later real run reuses them).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import opentimelineio as otio

from tilework.config import Settings
from tilework.engine.compile import RunPlanNode, TemplateNode, compile_plan
from tilework.engine.tasks import InlineJob
from tilework.errors import ValidationError
from tilework.media.compile import compile_render
from tilework.media.probe import probe
from tilework.media.runner import FFmpegRunner
from tilework.media.timeline import source_timeline
from tilework.sdk.agent_yaml import AgentSpec, resolve_node_type, slugify
from tilework.tiles.base import RenderedFiles, TileContext
from tilework.tiles.registry import TileRegistry
from tilework.tiles.render import RenderParams, render_spec, render_timeline


@dataclass(frozen=True)
class PreviewOutput:
    """One output of the agent: which node and item, and how it is (or was) rendered."""

    node_ref: str
    item: int
    timeline: otio.schema.Timeline
    ffmpeg_args: list[str]  # after the ffmpeg binary and its global flags
    filter_graph: str  # the -filter_complex graph, also when it went to a script file
    rendered: RenderedFiles | None  # set when the preview really rendered


StepCallback = Callable[[str, int, str], None]  # (node ref, item count, status message)


def plan_from_spec(
    spec: AgentSpec, tiles: TileRegistry
) -> tuple[list[RunPlanNode], list[tuple[str, str]]]:
    """The spec's graph checked like the API checks it, in topological order."""
    node_types = [
        {"node_type_id": tile.type_id, "node_type_name": tile.name, "slug": tile.slug}
        for tile in tiles.all()
    ]
    template = [
        TemplateNode(
            id=node.ref,
            node_type_id=resolve_node_type(node.type, node_types),
            params=dict(node.params),
        )
        for node in spec.nodes
    ]
    plan = compile_plan(template, list(spec.edges), tiles=tiles, update_params={}, ignore_nodes=[])
    return plan.nodes, plan.edges


def preview_agent(
    spec: AgentSpec,
    tiles: TileRegistry,
    settings: Settings,
    source: Path,
    *,
    render: bool = False,
    on_step: StepCallback | None = None,
) -> list[PreviewOutput]:
    """Run ``spec`` on ``source``; render the outputs only when ``render`` is true."""
    nodes, edges = plan_from_spec(spec, tiles)
    runner = FFmpegRunner(settings)
    source_tl = source_timeline(
        source, probe(runner, source, "video"), start_ms=None, end_ms=None, name=source.stem
    )
    work_dir = Path(tempfile.mkdtemp(prefix="preview-", dir=_ensure(settings.work_dir)))
    ctx = TileContext(
        settings=settings, work_dir=work_dir, job=InlineJob(), progress=lambda fraction, eta: None
    )
    items: dict[str, list[otio.schema.Timeline]] = {}
    outputs: list[PreviewOutput] = []
    children = {
        node.original_node_id: [t for s, t in edges if s == node.original_node_id] for node in nodes
    }
    try:
        for node in nodes:
            tile = tiles.get(node.node_type_id)
            parents = [s for s, t in edges if t == node.original_node_id]
            inputs = (
                [source_tl]
                if tile.is_input
                else [tl for parent in parents for tl in items.get(parent, [])]
            )
            params = tile.parse_params(node.params)
            is_leaf = not children[node.original_node_id]
            if tile.renders or is_leaf:
                render_params = params if isinstance(params, RenderParams) else RenderParams()
                for index, timeline in enumerate(inputs):
                    outputs.append(
                        _output(ctx, node.original_node_id, index, timeline, render_params, render)
                    )
                items[node.original_node_id] = inputs  # children of a render continue from it
                message = f"{len(inputs)} output(s)"
            else:
                results = [tile.run(ctx, params, timeline) for timeline in inputs]
                items[node.original_node_id] = [tl for r in results for tl in r.timelines]
                message = "; ".join(note for r in results if (note := r.note()))
            if on_step is not None:
                on_step(node.original_node_id, len(items[node.original_node_id]), message)
    finally:
        if not render:
            shutil.rmtree(work_dir, ignore_errors=True)
    if not outputs:
        raise ValidationError("the agent has no output")
    return outputs


def _output(
    ctx: TileContext,
    ref: str,
    index: int,
    timeline: otio.schema.Timeline,
    params: RenderParams,
    render: bool,
) -> PreviewOutput:
    if render:
        files = render_timeline(ctx, timeline, params)
        graph = filter_graph_of(files.ffmpeg_command)
        return PreviewOutput(ref, index, timeline, files.ffmpeg_command, graph, files)
    folder = ctx.work_dir / f"explain-{slugify(ref)}-{index}"
    folder.mkdir(parents=True, exist_ok=True)
    compiled = compile_render(timeline, render_spec(params, timeline), folder / "video.mp4")
    return PreviewOutput(ref, index, timeline, compiled.args, filter_graph_of(compiled.args), None)


def filter_graph_of(args: list[str]) -> str:
    """The filter graph an ffmpeg command runs, read from its script file when it has one."""
    for option in ("-filter_complex_script", "-/filter_complex"):
        if option in args:
            return Path(args[args.index(option) + 1]).read_text(encoding="utf-8")
    if "-filter_complex" in args:
        return args[args.index("-filter_complex") + 1]
    return ""


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
