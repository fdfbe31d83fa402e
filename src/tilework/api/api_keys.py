"""[ext] ``/api_keys``: an organization's keys — create (the secret shown once), list, revoke,
rotate. Needs a full-access key (``api.route_scopes``). HTTP only; the rules live in
``tilework.orgs.keys``."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from tilework.api.deps import SessionDep, get_org
from tilework.api.openapi import errors
from tilework.api.pagination import DEFAULT_LIMIT, paginate
from tilework.db.tables import ApiKey, Organization, utcnow
from tilework.orgs import keys
from tilework.orgs.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyPage, ApiKeyView

router = APIRouter(tags=["organization"])


@router.post("/api_keys")
def create_api_key(
    body: ApiKeyCreate, session: SessionDep, org: Organization = Depends(get_org)
) -> ApiKeyCreated:
    """A new key with ``scopes`` (omitted or null: full access). ``api_key`` is shown only here."""
    return keys.create_key(session, org.id, body)


@router.get("/api_keys")
def list_api_keys(
    session: SessionDep,
    limit: int = Query(default=DEFAULT_LIMIT, description="1 to 100"),
    cursor: str | None = Query(default=None, description="`next_cursor` of the previous page"),
    org: Organization = Depends(get_org),
) -> ApiKeyPage:
    """The organization's keys, newest first, revoked ones included (never their secrets)."""
    rows, next_cursor = paginate(
        session, keys.keys_query(org.id), ApiKey, limit=limit, cursor=cursor
    )
    return ApiKeyPage(api_keys=[keys.view(row) for row in rows], next_cursor=next_cursor)


@router.post("/api_keys/{key_id}/revoke", responses=errors(409))
def revoke_api_key(
    key_id: str, session: SessionDep, org: Organization = Depends(get_org)
) -> ApiKeyView:
    """Stop the key now (idempotent). 409 for the organization's last full-access key."""
    return keys.revoke_key(session, org.id, key_id, utcnow())


@router.post("/api_keys/{key_id}/rotate", responses=errors(409))
def rotate_api_key(
    key_id: str, session: SessionDep, org: Organization = Depends(get_org)
) -> ApiKeyCreated:
    """A new secret for the key (same id, name and scopes); the old secret stops working now."""
    return keys.rotate_key(session, org.id, key_id)
