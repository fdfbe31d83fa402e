"""HTTP surface of the webhook delivery log: a run's deliveries, and redelivery of one event.
HTTP only; logic lives in ``tilework.webhooks.log``."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Depends

from tilework.api.deps import SessionDep, get_org, get_runtime
from tilework.api.openapi import errors
from tilework.db.tables import Organization, utcnow
from tilework.runtime import Runtime
from tilework.webhooks import log as delivery_log
from tilework.webhooks.log import Redelivery, RunDeliveries

router = APIRouter(tags=["webhooks"])


@router.get("/agent_run/{run_id}/webhooks")
def list_run_webhooks(
    *,
    run_id: str,
    org: Organization = Depends(get_org),
    session: SessionDep,
) -> RunDeliveries:
    """The run's webhook events in order, each with every delivery attempt."""
    return delivery_log.run_deliveries(session, org.id, run_id)


@router.post("/webhook_events/{event_id}/redeliver", responses=errors(409))
def redeliver_event(
    *,
    event_id: str,
    background: BackgroundTasks,
    org: Organization = Depends(get_org),
    session: SessionDep,
    runtime: Runtime = Depends(get_runtime),
) -> Redelivery:
    """Send the event again (same ``webhook-id``), after the run's pending events before it."""
    result = delivery_log.redeliver(session, org.id, event_id, utcnow())
    background.add_task(runtime.webhooks.wake)  # runs after the commit, when the row is visible
    return result
