"""``/plan``, ``/plan/list`` and ``/plan/upgrade``. HTTP only; the rules live in
``tilework.billing``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from tilework.api.deps import SessionDep, get_org, get_runtime
from tilework.api.openapi import errors
from tilework.billing import views
from tilework.billing.schemas import UpgradeRequest
from tilework.db.tables import Organization
from tilework.runtime import Runtime

router = APIRouter(tags=["plans and credits"])


@router.get("/plan")
def get_plan(
    *,
    session: SessionDep,
    org: Organization = Depends(get_org),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    return views.plan_view(runtime.billing, session, org.id)


@router.get("/plan/list")
def list_plans(
    org: Organization = Depends(get_org), runtime: Runtime = Depends(get_runtime)
) -> dict[str, Any]:
    return views.plan_list(runtime.billing)


@router.post("/plan/upgrade", responses=errors(409))
def upgrade_plan(
    body: UpgradeRequest,
    *,
    session: SessionDep,
    org: Organization = Depends(get_org),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    """Change plan: at once (``requires_checkout: false``), or once the checkout at
    ``checkout_url`` is approved (``requires_checkout: true``)."""
    result = runtime.billing.upgrade(session, org.id, body)
    if result.checkout is None:
        return {
            "success": True,
            "requires_checkout": False,
            "plan_id": result.plan_id,
            "checkout_url": None,
            "message": f"Plan changed to {result.plan_id}",
            "plan": views.plan_view(runtime.billing, session, org.id)["plan"],
        }
    return {
        "success": True,
        "requires_checkout": True,
        "plan_id": result.plan_id,
        "checkout_url": result.checkout_url,
        "checkout_id": result.checkout.id,
        "expires_at": result.checkout.expires_at.isoformat(),
        "message": "Complete the checkout to change plan",
    }
