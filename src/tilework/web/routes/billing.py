"""Credits and plan: the balance, usage by day and by tile as charts, changing plan through the
configured checkout, and automatic top-ups. The numbers are the API's own read models."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.orm import Session
from starlette.responses import Response

from tilework.api.deps import SessionDep, get_runtime
from tilework.api.errors import describe_validation_errors
from tilework.billing import views
from tilework.billing.schemas import AutoTopupSettings, UpgradeRequest
from tilework.errors import TileworkError
from tilework.runtime import Runtime
from tilework.web.auth import WebUser, require_csrf, require_user
from tilework.web.charts import bar_chart
from tilework.web.rendering import HtmlRoute, redirect, render

router = APIRouter(prefix="/app", route_class=HtmlRoute, include_in_schema=False)

USAGE_DAYS = 30


@router.get("/credits")
def credits_page(
    request: Request,
    session: SessionDep,
    user: WebUser = Depends(require_user),
) -> Response:
    return _page(request, session, user)


def _page(
    request: Request, session: Session, user: WebUser, status_code: int = 200, **extra: Any
) -> Response:
    runtime: Runtime = request.app.state.runtime
    billing, org_id = runtime.billing, user.organization_id
    today = billing.clock().astimezone(UTC).date()
    first = today - timedelta(days=USAGE_DAYS - 1)
    usage = views.usage_view(
        billing,
        session,
        org_id,
        start=None,
        end=None,
        limit=views.DEFAULT_USAGE_EVENTS,
    )
    by_day = {row["date"]: row["credits"] for row in usage["by_date"]}
    days = [first + timedelta(days=n) for n in range(USAGE_DAYS)]
    context = {
        "title": "Credits",
        "section": "credits",
        "credits": views.credits_view(billing, session, org_id),
        "plan": views.plan_view(billing, session, org_id),
        "plans": views.plan_list(billing)["plans"],
        "usage": usage,
        "day_chart": bar_chart([(_day(d), by_day.get(d.isoformat(), 0)) for d in days]),
        "tile_chart": bar_chart([(row["tile"], row["credits"]) for row in usage["by_tile"]]),
        "checkout": runtime.settings.checkout_provider,
        "message": request.query_params.get("message", ""),
        "error": "",
        **extra,
    }
    return render(request, "credits.html", context, user=user, status_code=status_code)


def _day(day: date) -> str:
    return day.strftime("%b %d").replace(" 0", " ")


@router.post("/plan")
def change_plan(
    request: Request,
    session: SessionDep,
    plan_id: Annotated[str, Form()],
    user: WebUser = Depends(require_csrf),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    back = f"{runtime.settings.public_base_url}/app/credits"
    body = UpgradeRequest(
        plan_id=plan_id, success_url=f"{back}?message=plan-changed", cancel_url=back
    )
    try:
        result = runtime.billing.upgrade(session, user.organization_id, body)
    except TileworkError as exc:
        session.rollback()
        return _page(request, session, user, exc.status_code, error=exc.detail)
    if result.checkout_url:
        return redirect(request, result.checkout_url)
    return redirect(request, "/app/credits?message=plan-changed")


@router.post("/credits/auto-topup")
def auto_topup(
    request: Request,
    session: SessionDep,
    enabled: Annotated[bool, Form()] = False,
    threshold: Annotated[int, Form(ge=0)] = 0,
    quantity: Annotated[int, Form(ge=0)] = 0,
    user: WebUser = Depends(require_csrf),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    try:
        settings = AutoTopupSettings(enabled=enabled, threshold=threshold, quantity=quantity)
        runtime.billing.update_auto_topup(session, user.organization_id, settings)
    except TileworkError as exc:
        session.rollback()
        return _page(request, session, user, exc.status_code, error=exc.detail)
    except PydanticValidationError as exc:
        return _page(request, session, user, 400, error=describe_validation_errors(exc.errors()))
    return redirect(request, "/app/credits?message=topup-saved")
