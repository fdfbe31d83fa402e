"""Checkout providers: how a plan change gets paid for (``TILEWORK_CHECKOUT_PROVIDER``).

- ``none`` (the self-hosting default): there is nothing to pay, the plan changes at once.
- ``approval``: the plan changes only when someone approves the payment on a Tilework page. The
  client gets a ``checkout_url`` (``/checkout/{id}`` with an HMAC signature and an expiry, like
  signed file URLs); the page shows the plan and its price with Approve and Decline buttons. This
  stands in for a hosted payment page, so the whole client flow — ``requires_checkout: true``,
  finish at ``checkout_url``, re-check ``GET /plan`` — runs end to end without a payment service.

Free plans never need checkout. A provider only *starts* checkout; completing it
(``Billing.complete_checkout``) changes the plan.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from tilework.billing.catalogue import Plan
from tilework.db.tables import CheckoutSession, utcnow
from tilework.storage.signing import UrlSigner

CHECKOUT_PURPOSE = "checkout"
CHECKOUT_TTL_SECONDS = 24 * 3600


class CheckoutProvider(Protocol):
    name: str

    def begin(
        self,
        session: Session,
        org_id: str,
        plan: Plan,
        success_url: str | None,
        cancel_url: str | None,
    ) -> CheckoutSession | None:
        """A pending checkout for ``plan``, or ``None`` when the change applies at once."""


class ImmediateCheckout:
    name = "none"

    def begin(
        self,
        session: Session,
        org_id: str,
        plan: Plan,
        success_url: str | None,
        cancel_url: str | None,
    ) -> CheckoutSession | None:
        return None


class ApprovalCheckout:
    name = "approval"

    def __init__(self, signer: UrlSigner, ttl_seconds: int = CHECKOUT_TTL_SECONDS) -> None:
        self.signer = signer
        self.ttl_seconds = ttl_seconds

    def begin(
        self,
        session: Session,
        org_id: str,
        plan: Plan,
        success_url: str | None,
        cancel_url: str | None,
    ) -> CheckoutSession | None:
        if not plan.paid:
            return None
        checkout = CheckoutSession(
            organization_id=org_id,
            plan_id=plan.id,
            success_url=success_url,
            cancel_url=cancel_url,
            expires_at=utcnow() + timedelta(seconds=self.ttl_seconds),
        )
        session.add(checkout)
        session.flush()
        return checkout

    def url(self, checkout: CheckoutSession) -> str:
        expires = int(checkout.expires_at.timestamp())
        signature = self.signer.sign_fields(CHECKOUT_PURPOSE, checkout.id, expires)
        query = urlencode({"expires": expires, "signature": signature})
        return f"{self.signer.base_url}/checkout/{checkout.id}?{query}"

    def verify(self, checkout_id: str, expires: str, signature: str) -> None:
        """``ForbiddenError`` unless the token is ours for this checkout and unexpired."""
        self.signer.verify_fields(CHECKOUT_PURPOSE, checkout_id, expires, signature)


def make_provider(name: str, signer: UrlSigner) -> ImmediateCheckout | ApprovalCheckout:
    if name == "approval":
        return ApprovalCheckout(signer)
    if name == "none":
        return ImmediateCheckout()
    raise ValueError(f"TILEWORK_CHECKOUT_PROVIDER: unknown provider {name!r}")
