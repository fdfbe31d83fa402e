"""Where runs meet billing: price a task before it runs, hold its credits in the transaction that
claims it, charge or release in the transaction that records its end, and estimate a run.

A task the organization cannot pay for does not run: it is marked ``needs_credits`` and
``failed`` with the message "Insufficient credits" (so its node is ``failed``, downstream nodes
``blocked``, and the run finishes with ``needs_credits: true``). ``resume`` re-queues exactly
those tasks once credits are there.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tilework.billing import ledger
from tilework.billing.service import TaskCharge
from tilework.db.tables import Run, RunNode, Task, utcnow
from tilework.engine.compile import RunPlan
from tilework.engine.context import EngineContext
from tilework.engine.ingest import InputSource
from tilework.errors import InsufficientCreditsError
from tilework.media.timeline import duration_s, timeline_from_json

INSUFFICIENT_CREDITS = "Insufficient credits"


def task_charge(ctx: EngineContext, run: Run, node: RunNode, task: Task) -> TaskCharge:
    tile = ctx.tiles.get(node.node_type_id)
    # An input task's timeline is built by its worker; inputs are free anyway.
    seconds = 0.0 if tile.is_input else duration_s(timeline_from_json(task.input_timeline))
    cost = ctx.billing.prices.task_cost(
        tile.slug, seconds, type_id=tile.type_id, is_input=tile.is_input
    )
    details = {
        "node_id": node.id,
        "original_node_id": node.original_node_id,
        "item_key": task.item_key,
        "duration_s": round(seconds, 3),
        "credits_per_minute": ctx.billing.prices.rate(tile.slug, tile.type_id),
    }
    return TaskCharge(task.id, run.id, tile.name, cost, details)


def reserve_or_mark(
    ctx: EngineContext, session: Session, run: Run, node: RunNode, task: Task
) -> bool:
    """Hold the task's credits (True), or mark it ``needs_credits`` and failed (False)."""
    if ctx.billing.reserve_task(session, run.organization_id, task_charge(ctx, run, node, task)):
        return True
    task.status, task.finished_at = "failed", utcnow()
    task.error = task.status_message = INSUFFICIENT_CREDITS
    task.needs_credits = node.needs_credits = run.needs_credits = True
    return False


def settle(ctx: EngineContext, session: Session, run: Run, task: Task) -> None:
    """Charge a completed task, release any other ending."""
    entries = ledger.task_entries(session, task.id)
    if entries.open is None:
        # Nothing held (a free tile, or already settled): no account lock, no ledger writes.
        # Safe without the lock: only this task's claim makes its hold, and it committed.
        return
    succeeded = task.status == "completed"
    ctx.billing.settle_task(
        session, run.organization_id, task.id, succeeded=succeeded, entries=entries
    )


def release(ctx: EngineContext, session: Session, run: Run, task_ids: list[str]) -> None:
    ctx.billing.release_tasks(session, run.organization_id, task_ids)


def resumable(run: Run) -> bool:
    """Besides failed and cancelled runs, a run that finished ``partial_complete`` because some
    work lacked credits can be resumed (to do that work)."""
    return run.status == "partial_complete" and run.needs_credits


def tasks_to_requeue(
    session: Session, node: RunNode, resumable_nodes: frozenset[str]
) -> list[Task]:
    """The tasks resume runs again: the failed and cancelled ones of a resumable node; of a node
    that is only resumed for lack of credits (``partial_complete``), just the unpaid ones."""
    ended = select(Task).where(
        Task.run_node_id == node.id, Task.status.in_(("failed", "cancelled"))
    )
    if node.status not in resumable_nodes:
        ended = ended.where(Task.needs_credits.is_(True))
    node.needs_credits = False
    return list(session.scalars(ended))


# -- estimates ------------------------------------------------------------------------------


def _input_seconds(source: InputSource) -> float:
    total = float((source.media_info or {}).get("duration_s") or 0.0)
    start = (source.start_ms or 0) / 1000
    end = min(total, source.end_ms / 1000) if source.end_ms is not None else total
    return max(0.0, end - start)


def _downstream(plan: RunPlan, node_id: str) -> list[str]:
    """Nodes reachable from ``node_id``, in the plan's (topological) order."""
    children: dict[str, list[str]] = defaultdict(list)
    for source, target in plan.edges:
        children[source].append(target)
    seen: set[str] = set()
    stack = list(children[node_id])
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.add(current)
            stack.extend(children[current])
    return [n.original_node_id for n in plan.nodes if n.original_node_id in seen]


@dataclass(frozen=True)
class Estimate:
    per_node: dict[str, int]  # template node id -> credits
    first_node_credits: int  # the cheapest task that would run first

    @property
    def total(self) -> int:
        return sum(self.per_node.values())


def estimate(ctx: EngineContext, plan: RunPlan, sources: list[InputSource]) -> Estimate:
    """What a run would cost: every node downstream of each input, priced at that input's
    duration (an upper bound for trims; fan-out tiles such as Clips multiply items at run time)."""
    types = {n.original_node_id: n.node_type_id for n in plan.nodes}
    per_node: dict[str, int] = {n.original_node_id: 0 for n in plan.nodes if not n.is_input}
    first_costs = []
    for source in sources:
        seconds = _input_seconds(source)
        first = {target for parent, target in plan.edges if parent == source.node_id}
        for node_id in _downstream(plan, source.node_id):
            tile = ctx.tiles.get(types[node_id])
            cost = ctx.billing.prices.task_cost(
                tile.slug, seconds, type_id=tile.type_id, is_input=tile.is_input
            )
            per_node[node_id] += cost
            if node_id in first:
                first_costs.append(cost)
    return Estimate(per_node, min(first_costs, default=0))


def require_first_node(
    ctx: EngineContext, session: Session, org_id: str, plan: RunPlan, sources: list[InputSource]
) -> None:
    """402 before a run is created when the balance cannot pay even for its first task."""
    first = estimate(ctx, plan, sources).first_node_credits
    funds = ctx.billing.funds(session, org_id)
    if not funds.covers(first):
        raise InsufficientCreditsError(
            f"insufficient credits: the first node of this run costs {first} credits and the "
            f"balance is {funds.balance}; upgrade (POST /plan/upgrade) or top up"
        )


def estimate_view(
    ctx: EngineContext,
    session: Session,
    org_id: str,
    agent_id: str,
    plan: RunPlan,
    sources: list[InputSource],
) -> dict[str, Any]:
    """[ext] ``POST /agent/{agent_id}/estimate``."""
    result = estimate(ctx, plan, sources)
    funds = ctx.billing.funds(session, org_id)
    types = {n.original_node_id: n.node_type_id for n in plan.nodes}
    nodes = []
    for node_id, credits in result.per_node.items():
        tile = ctx.tiles.get(types[node_id])
        nodes.append(
            {
                "agent_node_id": node_id,
                "node_type_id": tile.type_id,
                "tile": tile.name,
                "credits_per_minute": ctx.billing.prices.rate(tile.slug, tile.type_id),
                "credits": credits,
            }
        )
    return {
        "agent_id": agent_id,
        "estimated_credits": result.total,
        "first_node_credits": result.first_node_credits,
        "balance": funds.balance,
        "auto_topup": funds.auto_topup,
        "can_start": funds.covers(result.first_node_credits),
        "sufficient": funds.covers(result.total),
        # null: a URL input, not downloaded for an estimate (its duration counts as 0)
        "input_seconds": [
            None if s.media_info is None else round(_input_seconds(s), 3) for s in sources
        ],
        "nodes": nodes,
    }
