"""Outbox rows for webhook tests, inserted directly (no engine): org, agent, run, events."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tilework.db.session import unit_of_work
from tilework.db.tables import Agent, Organization, Run, WebhookEvent, utcnow
from tilework.webhooks.events import RunFinished, RunProgress, UpdatedNode


def make_run(
    sessions: sessionmaker[Session], *, secret: str | None = None, callback_url: str | None = None
) -> str:
    with unit_of_work(sessions) as session:
        slug = f"org-{uuid.uuid4().hex[:8]}"
        org = Organization(name=slug, slug=slug, webhook_secret=secret)
        session.add(org)
        session.flush()
        agent = Agent(organization_id=org.id, name="agent")
        session.add(agent)
        session.flush()
        run = Run(organization_id=org.id, agent_id=agent.id, callback_url=callback_url)
        session.add(run)
        session.flush()
        return run.id


def payload(run_id: str, seq: int, flag: str = "RUN_PROGRESS") -> dict[str, Any]:
    common: dict[str, Any] = {
        "agent_id": "a",
        "run_id": run_id,
        "node_status_counts": {"completed": seq, "in_progress": 1, "failed": 0},
        "triggered_by": None,
    }
    if flag == "RUN_FINISHED":
        return RunFinished(
            flag="RUN_FINISHED",
            status="completed",
            status_message=None,
            needs_credits=False,
            errors=[],
            inputs=[],
            outputs=[],
            **common,
        ).model_dump(mode="json")
    node = UpdatedNode(
        original_node_id=f"node-{seq}",
        status="running",
        status_message="é ü — unicode survives",
        errors=[],
        outputs=[],
    )
    return RunProgress(
        flag="RUN_PROGRESS", status="running", updated_nodes=[node], **common
    ).model_dump(mode="json")


def add_events(
    sessions: sessionmaker[Session],
    run_id: str,
    seqs: range | list[int],
    *,
    callback_url: str | None,
    flags: dict[int, str] | None = None,
    at: datetime | None = None,
) -> list[str]:
    """Append events ``seqs`` to the run's outbox; returns their ids in order."""
    ids = []
    with unit_of_work(sessions) as session:
        for seq in seqs:
            flag = (flags or {}).get(seq, "RUN_PROGRESS")
            event = WebhookEvent(
                run_id=run_id,
                seq=seq,
                flag=flag,
                payload=payload(run_id, seq, flag),
                callback_url=callback_url,
                delivery_status="pending" if callback_url else "none",
                next_attempt_at=at or utcnow(),
            )
            session.add(event)
            session.flush()
            ids.append(event.id)
    return ids


def events_of(sessions: sessionmaker[Session], run_id: str) -> list[WebhookEvent]:
    with sessions() as session:
        query = select(WebhookEvent).where(WebhookEvent.run_id == run_id)
        return list(session.scalars(query.order_by(WebhookEvent.seq)))
