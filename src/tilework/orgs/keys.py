"""An organization's API keys: create (the secret shown once), list, revoke, rotate.

Only hashes are stored (``orgs.service.hash_key``). Revoking or rotating takes effect on the next
request: authentication reads the key's row every time. An organization always keeps one live
full-access key, since managing keys needs one (``revoke`` refuses to take the last).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from tilework.db.tables import ApiKey, Organization
from tilework.errors import ConflictError, NotFoundError
from tilework.orgs.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyView
from tilework.orgs.service import hash_key, issue_key, new_secret


def create_key(session: Session, org_id: str, body: ApiKeyCreate) -> ApiKeyCreated:
    organization = session.get_one(Organization, org_id)
    secret = issue_key(session, organization, name=body.name, scopes=_stored(body.scopes))
    key = session.scalars(select(ApiKey).where(ApiKey.key_hash == hash_key(secret))).one()
    return ApiKeyCreated(**view(key).model_dump(), api_key=secret)


def keys_query(org_id: str) -> Select[ApiKey]:
    return select(ApiKey).where(ApiKey.organization_id == org_id)


def owned_key(session: Session, org_id: str, key_id: str) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None or key.organization_id != org_id:
        raise NotFoundError(f"API key {key_id} not found")
    return key


def revoke_key(session: Session, org_id: str, key_id: str, now: datetime) -> ApiKeyView:
    """Revoke (idempotent); 409 for the organization's last live full-access key."""
    key = owned_key(session, org_id, key_id)
    if key.revoked_at is None:
        if key.scopes is None and _live_full_keys(session, org_id) <= 1:
            raise ConflictError(
                "this is the organization's last full-access key: create another one first"
            )
        key.revoked_at = now
        session.flush()
    return view(key)


def rotate_key(session: Session, org_id: str, key_id: str) -> ApiKeyCreated:
    """A new secret for the same key (id, name, scopes); the old secret stops working now."""
    key = owned_key(session, org_id, key_id)
    if key.revoked_at is not None:
        raise ConflictError(f"API key {key_id} is revoked: create a new key instead")
    secret = new_secret()
    key.key_hash, key.prefix, key.last_used_at = hash_key(secret), secret[:10], None
    session.flush()
    return ApiKeyCreated(**view(key).model_dump(), api_key=secret)


def view(key: ApiKey) -> ApiKeyView:
    return ApiKeyView(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        scopes=None if key.scopes is None else list(key.scopes),
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        revoked_at=key.revoked_at,
    )


def _stored(scopes: Sequence[str] | None) -> list[str] | None:
    return None if scopes is None else list(scopes)


def _live_full_keys(session: Session, org_id: str) -> int:
    query = select(func.count()).where(
        ApiKey.organization_id == org_id, ApiKey.revoked_at.is_(None), ApiKey.scopes.is_(None)
    )
    return int(session.scalar(query) or 0)
