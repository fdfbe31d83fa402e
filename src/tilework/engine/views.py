"""Read models of runs: the exact JSON shapes of api.md, shared by the API and the webhooks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from tilework.agents.service import node_type_ref
from tilework.db.tables import Render, Run, RunInput, RunNode, Task
from tilework.engine.statuses import count_nodes
from tilework.storage.base import BlobUrls
from tilework.tiles.registry import TileRegistry


def output_object(render: Render, signer: BlobUrls) -> dict[str, Any]:
    return {
        "id": render.id,
        "video_url": signer.sign(render.video_key),
        "thumbnail_url": signer.sign(render.thumbnail_key) if render.thumbnail_key else None,
        "premiere_prproj_url": signer.sign(render.timeline_key) if render.timeline_key else None,
        "completed_at": render.completed_at.isoformat(),
        "original_node_id": render.original_node_id,
        # [ext] e.g. captions_srt_url / captions_vtt_url when the render has captions
        **{name: signer.sign(key) for name, key in sorted((render.extra_keys or {}).items())},
    }


def input_objects(session: Session, run_id: str, signer: BlobUrls) -> list[dict[str, Any]]:
    inputs = session.scalars(
        select(RunInput).where(RunInput.run_id == run_id).order_by(RunInput.position)
    )
    return [
        {
            # A URL input not fetched yet is shown by its own URL.
            "video_url": signer.sign(item.blob_key) if item.blob_key else item.source_ref,
            "thumbnail_url": signer.sign(item.thumbnail_key) if item.thumbnail_key else None,
        }
        for item in inputs
    ]


def run_outputs(session: Session, run_id: str, signer: BlobUrls) -> list[dict[str, Any]]:
    renders = session.scalars(
        select(Render)
        .where(Render.run_id == run_id, Render.is_output.is_(True))
        .order_by(Render.completed_at, Render.id)
    )
    return [output_object(render, signer) for render in renders]


def node_outputs(session: Session, run_node_id: str, signer: BlobUrls) -> list[dict[str, Any]]:
    renders = session.scalars(
        select(Render)
        .join(Task, Task.id == Render.task_id)
        .where(Task.run_node_id == run_node_id)
        .order_by(Render.completed_at, Render.id)
    )
    return [output_object(render, signer) for render in renders]


def nodes_outputs(
    session: Session, run_id: str, run_node_ids: list[str], signer: BlobUrls
) -> dict[str, list[dict[str, Any]]]:
    """``node_outputs`` of several nodes of one run, in one query."""
    rows = session.execute(
        select(Task.run_node_id, Render)
        .join(Task, Task.id == Render.task_id)
        .where(Render.run_id == run_id, Task.run_node_id.in_(run_node_ids))
        .order_by(Render.completed_at, Render.id)
    )
    outputs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for node_id, render in rows:
        outputs[node_id].append(output_object(render, signer))
    return outputs


def nodes_of(session: Session, run_id: str) -> list[RunNode]:
    return list(
        session.scalars(select(RunNode).where(RunNode.run_id == run_id).order_by(RunNode.position))
    )


def node_errors(session: Session, run_id: str) -> dict[str, list[str]]:
    """Error messages of failed tasks, by run node id."""
    rows = session.execute(
        select(Task.run_node_id, Task.error)
        .where(Task.run_id == run_id, Task.status == "failed", Task.error.is_not(None))
        .order_by(Task.finished_at, Task.item_key)
    )
    errors: dict[str, list[str]] = defaultdict(list)
    for node_id, message in rows:
        if message and message not in errors[node_id]:
            errors[node_id].append(message)
    return errors


class NodeStatus(Protocol):
    """A run node as the counts and error groups read it (an ORM row or the engine's state)."""

    @property
    def id(self) -> str: ...

    @property
    def original_node_id(self) -> str | None: ...

    @property
    def status(self) -> str: ...


def status_counts(nodes: Sequence[NodeStatus]) -> dict[str, int]:
    return count_nodes(node.status for node in nodes).as_dict()


def grouped_errors(
    nodes: Sequence[NodeStatus], errors: dict[str, list[str]]
) -> list[dict[str, Any]]:
    return [
        {"original_node_id": node.original_node_id, "messages": errors[node.id]}
        for node in nodes
        if errors.get(node.id)
    ]


def run_view(session: Session, run: Run, signer: BlobUrls) -> dict[str, Any]:
    """``GET /agent_run/{run_id}``."""
    nodes = nodes_of(session, run.id)
    return {
        "agent_id": run.agent_id,
        "started_at": run.started_at.isoformat(),
        "status": run.status,
        "status_message": run.status_message,
        "needs_credits": run.needs_credits,
        "errors": grouped_errors(nodes, node_errors(session, run.id)),
        "node_status_counts": status_counts(nodes),
        "inputs": input_objects(session, run.id, signer),
        "outputs": run_outputs(session, run.id, signer),
        "triggered_by": run.triggered_by,
    }


def run_summary(session: Session, run: Run, signer: BlobUrls) -> dict[str, Any]:
    """One row of the run lists."""
    return {
        "run_id": run.id,
        "agent_id": run.agent_id,
        "status": run.status,
        "status_message": run.status_message,
        "started_at": run.started_at.isoformat(),
        "updated_at": run.updated_at.isoformat(),
        "node_status_counts": status_counts(nodes_of(session, run.id)),
        "inputs": input_objects(session, run.id, signer),
        "outputs": run_outputs(session, run.id, signer),
        "triggered_by": run.triggered_by,
    }


def nodes_view(session: Session, run: Run, tiles: TileRegistry) -> dict[str, Any]:
    """``GET /agent_run/{run_id}/nodes`` (plus [ext] the ffmpeg commands of its renders)."""
    errors = node_errors(session, run.id)
    commands = _render_commands(session, run.id)
    return {
        "run_id": run.id,
        "nodes": [
            {
                "agent_node_id": node.id,
                "original_node_id": node.original_node_id,
                "status": node.status,
                "status_message": node.status_message,
                "errors": errors.get(node.id, []),
                "node_type": node_type_ref(tiles, node.node_type_id).model_dump(),
                "needs_credits": node.needs_credits,
                "ffmpeg_commands": commands.get(node.id, []),
            }
            for node in nodes_of(session, run.id)
        ],
    }


def _render_commands(session: Session, run_id: str) -> dict[str, list[list[str]]]:
    rows = session.execute(
        select(Task.run_node_id, Render.ffmpeg_command)
        .join(Task, Task.id == Render.task_id)
        .where(Render.run_id == run_id)
    )
    commands: dict[str, list[list[str]]] = defaultdict(list)
    for node_id, command in rows:
        if command:
            commands[node_id].append(list(command))
    return commands


def progress_view(session: Session, run: Run) -> dict[str, Any]:
    """``GET /agent_run/{run_id}/progress``: whole-run counts and per-node progress."""
    nodes = nodes_of(session, run.id)
    tasks_by_node: dict[str, list[Task]] = defaultdict(list)
    for task in session.scalars(select(Task).where(Task.run_id == run.id)):
        tasks_by_node[task.run_node_id].append(task)
    counts = status_counts(nodes)
    return {
        "run_id": run.id,
        "status": run.status,
        "node_status_counts": counts,
        "total_nodes": len(nodes),
        "completed_node_percent": round(100.0 * counts["completed"] / len(nodes), 1)
        if nodes
        else 100.0,
        "nodes": [_node_progress(node, tasks_by_node[node.id]) for node in nodes],
    }


def _node_progress(node: RunNode, tasks: list[Task]) -> dict[str, Any]:
    done = sum(1 for t in tasks if t.status in ("completed", "failed", "cancelled"))
    fractions = [
        1.0 if t.status in ("completed", "failed", "cancelled") else (t.progress or 0.0)
        for t in tasks
    ]
    etas = [t.eta_seconds for t in tasks if t.status == "running" and t.eta_seconds is not None]
    percent = 100.0 if node.status == "completed" else 0.0
    if fractions and node.status != "completed":
        percent = 100.0 * sum(fractions) / len(fractions)
    return {
        "agent_node_id": node.id,
        "original_node_id": node.original_node_id,
        "status": node.status,
        "tasks_total": len(tasks),
        "tasks_done": done,
        "percent": round(percent, 1),
        "eta_seconds": round(max(etas), 1) if etas else None,
    }
