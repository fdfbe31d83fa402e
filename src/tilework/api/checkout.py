"""The ``approval`` checkout page: ``GET /checkout/{id}`` shows the plan change with Approve and
Decline buttons; their form posts complete it. No API key: the signed token in the URL (and
repeated in the form) is the credential, as with signed file URLs."""

from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tilework.api.deps import SessionDep, get_runtime
from tilework.billing.checkout import ApprovalCheckout
from tilework.db.tables import CheckoutSession, Organization
from tilework.errors import NotFoundError
from tilework.runtime import Runtime

router = APIRouter(tags=["plans and credits"], include_in_schema=False)

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tilework checkout</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}}
button{{font-size:1rem;padding:.5rem 1.2rem;margin-right:.5rem}}</style></head>
<body><h1>Tilework checkout</h1>{body}</body></html>"""


def _provider(runtime: Runtime) -> ApprovalCheckout:
    if not isinstance(runtime.billing.checkout, ApprovalCheckout):
        raise NotFoundError("checkout is not enabled on this server")
    return runtime.billing.checkout


def _page(body: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(body=body), status_code=status_code)


@router.get("/checkout/{checkout_id}", response_class=HTMLResponse)
def checkout_page(
    checkout_id: str,
    *,
    expires: str = Query(default=""),
    signature: str = Query(default=""),
    session: SessionDep,
    runtime: Runtime = Depends(get_runtime),
) -> HTMLResponse:
    _provider(runtime).verify(checkout_id, expires, signature)
    checkout = runtime.billing.find_checkout(session, checkout_id)
    if checkout.status != "pending":
        return _page(f"<p>This checkout was already <b>{escape(checkout.status)}</b>.</p>")
    return _page(_summary(session, runtime, checkout) + _buttons(checkout_id, expires, signature))


def _summary(session: SessionDep, runtime: Runtime, checkout: CheckoutSession) -> str:
    plan = runtime.billing.catalogue.get(checkout.plan_id)
    org = session.get_one(Organization, checkout.organization_id)
    rate = plan.top_up_rate_per_100_credits_usd
    return (
        f"<p>Organization <b>{escape(org.name)}</b> changes to plan <b>{escape(plan.id)}</b>.</p>"
        f"<ul><li>Price: {plan.price_usd:g} USD, billed {escape(plan.billing)}</li>"
        f"<li>Credits: {plan.credits_per_month} per month</li>"
        + (f"<li>Top-ups: {rate:g} USD per 100 credits</li>" if rate else "")
        + "</ul>"
    )


def _buttons(checkout_id: str, expires: str, signature: str) -> str:
    hidden = (
        f'<input type="hidden" name="expires" value="{escape(expires)}">'
        f'<input type="hidden" name="signature" value="{escape(signature)}">'
    )
    forms = [
        f'<form method="post" action="/checkout/{escape(checkout_id)}/{action}" '
        f'style="display:inline">{hidden}<button type="submit" name="action" '
        f'value="{action}">{label}</button></form>'
        for action, label in (("approve", "Approve payment"), ("decline", "Decline"))
    ]
    return "<p>" + "".join(forms) + "</p>"


@router.post("/checkout/{checkout_id}/approve", response_model=None)
def approve_checkout(
    checkout_id: str,
    expires: Annotated[str, Form()] = "",
    signature: Annotated[str, Form()] = "",
    *,
    session: SessionDep,
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    return _complete(checkout_id, expires, signature, session, runtime, approve=True)


@router.post("/checkout/{checkout_id}/decline", response_model=None)
def decline_checkout(
    checkout_id: str,
    expires: Annotated[str, Form()] = "",
    signature: Annotated[str, Form()] = "",
    *,
    session: SessionDep,
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    return _complete(checkout_id, expires, signature, session, runtime, approve=False)


def _complete(
    checkout_id: str,
    expires: str,
    signature: str,
    session: SessionDep,
    runtime: Runtime,
    *,
    approve: bool,
) -> Response:
    _provider(runtime).verify(checkout_id, expires, signature)
    checkout = runtime.billing.complete_checkout(session, checkout_id, approve=approve)
    target = checkout.success_url if approve else checkout.cancel_url
    if target:
        return RedirectResponse(target, status_code=303)
    if approve:
        return _page(f"<p>Payment approved: plan <b>{escape(checkout.plan_id)}</b> is active.</p>")
    return _page("<p>Payment declined: the plan did not change.</p>")
