"""Start, cancel and resume runs: the engine's entry points, called by the API.

Each entry point is one unit of work: the state change, the jobs it defers and the events it
emits commit together. ``start_run`` reads the template and resolves inputs, then writes the run
and one task per input (its Video Input node's work: fetch, probe, thumbnail) in one short
transaction; nothing is downloaded in the request (see ``ingest``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from tilework.db.session import unit_of_work
from tilework.db.tables import (
    Agent,
    AgentConnection,
    AgentNode,
    Run,
    RunEdge,
    RunInput,
    RunNode,
    Task,
    utcnow,
)
from tilework.engine import credits, events, ingest, views
from tilework.engine.compile import RunPlan, TemplateNode, compile_plan
from tilework.engine.context import EngineContext
from tilework.engine.schemas import RunRequest
from tilework.engine.statuses import NODE_RESUMABLE, RUN_TERMINAL
from tilework.engine.tasks import queue_input_task, requeue_task
from tilework.errors import ConflictError, NotFoundError


class StartHooks(Protocol):
    """A caller's say in ``start_run`` (triggers use it to start each video's run only once)."""

    def accept_sources(self, sources: list[ingest.InputSource]) -> None:
        """Inspect the fetched, probed inputs; raise to refuse the run before it is written."""

    def on_write(self, session: Session) -> None:
        """Runs first in the run's transaction: raise to roll the run back (a lost claim)."""

    def written(self, session: Session, run_id: str) -> None:
        """Runs in the run's transaction once the run is written: commits with it."""


@dataclass(frozen=True)
class CancelResult:
    run_id: str
    tasks_cancelled: int
    nodes_reset: int


@dataclass(frozen=True)
class ResumeResult:
    run_id: str
    nodes_queued: int
    nodes_considered: int
    requeued_nodes: list[str]


class RunService:
    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx

    # -- start ---------------------------------------------------------------------------

    def start_run(
        self,
        org_id: str,
        agent_id: str,
        request: RunRequest,
        *,
        triggered_by: dict[str, Any] | None = None,
        hooks: StartHooks | None = None,
        prefetch: bool = False,
    ) -> str:
        """Write the run; its inputs are fetched by workers. ``prefetch`` fetches them first,
        for callers already on a worker that must see the probed inputs (trigger launches)."""
        ingest.check_callback(self.ctx, request.callback_url)
        with unit_of_work(self.ctx.sessions) as session:
            plan = self._plan(session, org_id, agent_id, request)
            sources = ingest.sources_from_request(request, plan.input_node_ids)
            sources = ingest.resolve_stored(session, org_id, sources)
        ingest.check_urls(self.ctx, sources)
        if prefetch:
            sources = ingest.fetch(self.ctx, sources)
        if hooks is not None:
            hooks.accept_sources(sources)
        with unit_of_work(self.ctx.sessions) as session:
            if hooks is not None:
                hooks.on_write(session)
            if triggered_by is None:  # a triggered run is written; its tasks wait for credits
                credits.require_first_node(self.ctx, session, org_id, plan, sources)
            run = self._write_run(session, org_id, agent_id, request, plan, sources, triggered_by)
            if hooks is not None:
                hooks.written(session, run.id)
            run_id = run.id
        self._after_commit()
        return run_id

    def estimate(self, org_id: str, agent_id: str, request: RunRequest) -> dict[str, Any]:
        """[ext] What ``start_run`` with this request would cost; inputs are resolved as for a
        run (nothing is written, nothing downloaded: a URL input's duration is unknown)."""
        with unit_of_work(self.ctx.sessions) as session:
            plan = self._plan(session, org_id, agent_id, request)
            sources = ingest.sources_from_request(request, plan.input_node_ids)
            sources = ingest.resolve_stored(session, org_id, sources)
        ingest.check_urls(self.ctx, sources)
        with unit_of_work(self.ctx.sessions) as session:
            return credits.estimate_view(self.ctx, session, org_id, agent_id, plan, sources)

    def check_request(self, org_id: str, agent_id: str, request: RunRequest) -> None:
        """Every check ``start_run`` makes before it downloads anything (for stored requests)."""
        ingest.check_callback(self.ctx, request.callback_url)
        with unit_of_work(self.ctx.sessions) as session:
            plan = self._plan(session, org_id, agent_id, request)
            sources = ingest.sources_from_request(request, plan.input_node_ids)
            ingest.resolve_stored(session, org_id, sources)

    def _plan(self, session: Session, org_id: str, agent_id: str, request: RunRequest) -> RunPlan:
        agent = session.get(Agent, agent_id)
        if agent is None or agent.organization_id != org_id or agent.deleted_at is not None:
            raise NotFoundError(f"agent {agent_id} not found")
        nodes = session.scalars(
            select(AgentNode).where(AgentNode.agent_id == agent_id).order_by(AgentNode.position)
        )
        template = [TemplateNode(n.id, n.node_type_id, dict(n.params)) for n in nodes]
        edges = [
            (c.source_node_id, c.target_node_id)
            for c in session.scalars(
                select(AgentConnection)
                .where(AgentConnection.agent_id == agent_id)
                .order_by(AgentConnection.id)
            )
        ]
        return compile_plan(
            template,
            edges,
            tiles=self.ctx.tiles,
            update_params=request.update_params,
            ignore_nodes=request.ignore_nodes,
        )

    def _write_run(
        self,
        session: Session,
        org_id: str,
        agent_id: str,
        request: RunRequest,
        plan: RunPlan,
        sources: list[ingest.InputSource],
        triggered_by: dict[str, Any] | None = None,
    ) -> Run:
        # triggered_by is set before any event is built: RUN_STARTED carries it.
        run = Run(
            organization_id=org_id,
            agent_id=agent_id,
            callback_url=request.callback_url,
            triggered_by=triggered_by,
            trigger_id=(triggered_by or {}).get("trigger_id"),
        )
        session.add(run)
        session.flush()
        node_ids: dict[str, str] = {}
        for position, planned in enumerate(plan.nodes):
            node = RunNode(
                run_id=run.id,
                original_node_id=planned.original_node_id,
                node_type_id=planned.node_type_id,
                params=planned.params,
                position=position,
            )
            session.add(node)
            session.flush()
            node_ids[planned.original_node_id] = node.id
        for source, target in plan.edges:
            session.add(
                RunEdge(
                    run_id=run.id, source_node_id=node_ids[source], target_node_id=node_ids[target]
                )
            )
        inputs = [
            RunInput(
                run_id=run.id,
                run_node_id=node_ids[src.node_id],
                position=position,
                source_kind=src.kind,
                source_ref=src.ref,
                blob_key=src.blob_key,  # "" until a worker has fetched a URL input
                media_info=src.media_info or {},
                clip_start_ms=src.start_ms,
                clip_end_ms=src.end_ms,
                thumbnail_key=src.thumbnail_key,
            )
            for position, src in enumerate(sources)
        ]
        session.add_all(inputs)
        session.flush()
        for run_input in inputs:  # each input is its Video Input node's work, on a worker
            queue_input_task(self.ctx, session, run_input)
        events.refresh_statuses(session, run)
        events.publish_started(session, run, self.ctx.signer)
        return run

    # -- cancel --------------------------------------------------------------------------

    def cancel(self, org_id: str, run_id: str) -> CancelResult:
        with unit_of_work(self.ctx.sessions) as session:
            run = self._owned_run(session, org_id, run_id)
            if run.status in RUN_TERMINAL:
                raise ConflictError(f"run {run_id} is already {run.status}")
            cancelled, stopped = 0, []
            for task in session.scalars(
                select(Task).where(Task.run_id == run_id, Task.status.in_(("queued", "running")))
            ):
                task.status, task.finished_at = "cancelled", utcnow()
                if task.job_id is not None:
                    self.ctx.dispatcher.abort(session, task.job_id)
                cancelled += 1
                stopped.append(task.id)
            credits.release(self.ctx, session, run, stopped)  # held credits go back
            run.status, run.status_message = "cancelled", "Cancelled by the user"
            run.finished_at = run.updated_at = utcnow()
            changed = events.refresh_statuses(session, run)
            events.publish_progress(session, run, changed, self.ctx.signer)
            events.publish_finished(session, run, self.ctx.signer)
            result = CancelResult(run_id, cancelled, len(changed))
        self._after_commit()
        return result

    # -- resume --------------------------------------------------------------------------

    def resume(self, org_id: str, run_id: str) -> ResumeResult:
        with unit_of_work(self.ctx.sessions) as session:
            run = self._owned_run(session, org_id, run_id)
            if run.status not in ("failed", "cancelled") and not credits.resumable(run):
                raise ConflictError(
                    f"run {run_id} is {run.status}: only failed or cancelled runs can be resumed"
                )
            result = self._requeue(session, run)
            run.status, run.status_message, run.finished_at = "running", None, None
            run.needs_credits = False  # set again if a task still cannot be paid for
            run.updated_at = utcnow()
            events.settle(session, run, self.ctx.signer)
        self._after_commit()
        return result

    def _requeue(self, session: Session, run: Run) -> ResumeResult:
        considered, requeued = 0, []
        for node in views.nodes_of(session, run.id):
            if not (node.status in NODE_RESUMABLE or node.needs_credits):
                continue
            considered += 1
            tasks = credits.tasks_to_requeue(session, node, NODE_RESUMABLE)
            for task in tasks:
                requeue_task(self.ctx, session, task)
            if tasks:
                requeued.append(node.id)
        return ResumeResult(run.id, len(requeued), considered, requeued)

    def _owned_run(self, session: Session, org_id: str, run_id: str) -> Run:
        run = events.lock_run(session, run_id)
        if run is None or run.organization_id != org_id:
            raise NotFoundError(f"run {run_id} not found")
        return run

    def _after_commit(self) -> None:
        self.ctx.dispatcher.wake()
        self.ctx.events_committed()
