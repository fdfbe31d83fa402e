"""Create organizations with their first API key, and resolve a presented key to its organization.

Keys look like ``mk_<43 urlsafe characters>``; only their SHA-256 is stored, so a leaked database
does not leak usable keys. The plaintext is returned once, at creation. (Several keys per
organization, their scopes, revocation and rotation: ``tilework.orgs.keys``.)

Authenticating is a read: ``last_used_at`` is written only when the stored value is older than
``LAST_USED_RESOLUTION`` (``touch_last_used``), so a busy key costs one write a minute, not one
per request.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from tilework.db.tables import ApiKey, Organization
from tilework.errors import AuthError, ValidationError

KEY_PREFIX = "mk_"
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_organization(session: Session, name: str) -> tuple[Organization, str]:
    """A new organization and the plaintext of its first API key."""
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise ValidationError("name: must be 1 to 200 characters")
    organization = Organization(name=name, slug=_unique_slug(session, name))
    session.add(organization)
    session.flush()
    return organization, issue_key(session, organization)


def new_secret() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def issue_key(
    session: Session,
    organization: Organization,
    *,
    name: str = "default",
    scopes: list[str] | None = None,
) -> str:
    """Store a new key (full access unless ``scopes`` lists what it may do); its plaintext."""
    key = new_secret()
    session.add(
        ApiKey(
            organization_id=organization.id,
            key_hash=hash_key(key),
            prefix=key[:10],
            name=name,
            scopes=scopes,
        )
    )
    session.flush()
    return key


@dataclass(frozen=True)
class Principal:
    """Who a request acts for: the organization, the key used, its scopes and previous use."""

    organization: Organization
    api_key_id: str
    previous_use: datetime | None
    scopes: tuple[str, ...] | None = None  # None: full access


def authenticate(session: Session, key: str) -> Organization:
    """The organization owning ``key`` (not revoked)."""
    return authenticate_key(session, key).organization


def authenticate_key(session: Session, key: str) -> Principal:
    """The principal behind ``key``; reads only (see ``touch_last_used``)."""
    if not key.startswith(KEY_PREFIX):
        raise AuthError("invalid API key")
    api_key = session.scalar(
        select(ApiKey).where(ApiKey.key_hash == hash_key(key), ApiKey.revoked_at.is_(None))
    )
    organization = session.get(Organization, api_key.organization_id) if api_key else None
    if api_key is None or organization is None:
        raise AuthError("invalid API key")
    scopes = None if api_key.scopes is None else tuple(str(s) for s in api_key.scopes)
    return Principal(organization, api_key.id, api_key.last_used_at, scopes)


def needs_touch(principal: Principal, now: datetime) -> bool:
    last = principal.previous_use
    return last is None or now - last >= LAST_USED_RESOLUTION


def touch_last_used(session: Session, api_key_id: str, now: datetime) -> None:
    """Stamp ``last_used_at`` unless another request (or process) did within the resolution."""
    session.execute(
        update(ApiKey)
        .where(
            ApiKey.id == api_key_id,
            or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at <= now - LAST_USED_RESOLUTION),
        )
        .values(last_used_at=now)
    )


def _unique_slug(session: Session, name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "org"
    slug = base
    while session.scalar(select(Organization.id).where(Organization.slug == slug)) is not None:
        slug = f"{base}-{secrets.token_hex(3)}"
    return slug
