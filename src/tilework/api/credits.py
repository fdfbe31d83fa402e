"""``/credits``, ``/credits/usage``, ``/credits/settings``, and the extensions
``/credits/ledger`` and ``/agent/{agent_id}/estimate``. HTTP only."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from tilework.api.deps import SessionDep, get_org, get_runtime
from tilework.billing import views
from tilework.billing.schemas import CreditSettingsRequest
from tilework.db.tables import Organization
from tilework.engine.schemas import RunRequest
from tilework.runtime import Runtime

router = APIRouter(tags=["plans and credits"])


@router.get("/credits")
def get_credits(
    *,
    session: SessionDep,
    org: Organization = Depends(get_org),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    return views.credits_view(runtime.billing, session, org.id)


@router.post("/credits/settings")
def update_credit_settings(
    body: CreditSettingsRequest,
    *,
    session: SessionDep,
    org: Organization = Depends(get_org),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    """Automatic top-ups (403 unless the plan is creator or professional, monthly or annual).
    Answers the ``GET /credits`` shape."""
    runtime.billing.update_auto_topup(session, org.id, body.auto_topup)
    return {"success": True, **views.credits_view(runtime.billing, session, org.id)}


@router.get("/credits/usage")
def get_credit_usage(
    *,
    start_date: str | None = Query(default=None, description="YYYY-MM-DD or ISO time"),
    end_date: str | None = Query(default=None, description="YYYY-MM-DD (inclusive) or ISO time"),
    limit: int = Query(default=views.DEFAULT_USAGE_EVENTS, description="usage rows scanned"),
    session: SessionDep,
    org: Organization = Depends(get_org),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    return views.usage_view(
        runtime.billing,
        session,
        org.id,
        start=views.parse_bound(start_date, "start_date", end_of_day=False),
        end=views.parse_bound(end_date, "end_date", end_of_day=True),
        limit=limit,
    )


@router.get("/credits/ledger")
def get_credit_ledger(
    *,
    limit: int = Query(default=25),
    cursor: str | None = Query(default=None),
    session: SessionDep,
    org: Organization = Depends(get_org),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    """[ext] Every credit movement, newest first: the audit trail the balance is summed from."""
    return views.ledger_view(runtime.billing, session, org.id, limit=limit, cursor=cursor)


@router.post("/agent/{agent_id}/estimate")
def estimate_run(
    agent_id: str,
    body: RunRequest,
    org: Organization = Depends(get_org),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    """[ext] The credits ``POST /agent/{agent_id}/run`` with this body would take."""
    return runtime.runs.estimate(org.id, agent_id, body)
