"""``GET /whoami``: the organization behind the presented API key."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from tilework.api.deps import get_principal
from tilework.orgs.scopes import Scope, normalize
from tilework.orgs.service import Principal

router = APIRouter(tags=["organization"])


class WhoAmI(BaseModel):
    organization_id: str
    organization_name: str
    organization_slug: str
    created_at: datetime
    last_used_at: datetime | None  # the key's previous recorded use (to the minute)
    scopes: list[Scope] | None  # the key's scopes; null: full access


@router.get("/whoami")
def whoami(principal: Principal = Depends(get_principal)) -> WhoAmI:
    org = principal.organization
    return WhoAmI(
        organization_id=org.id,
        organization_name=org.name,
        organization_slug=org.slug,
        created_at=org.created_at,
        last_used_at=principal.previous_use,
        scopes=None if principal.scopes is None else normalize(principal.scopes),
    )
