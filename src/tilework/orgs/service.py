"""Create organizations with their first API key, and resolve a presented key to its organization.

Keys look like ``mk_<43 urlsafe characters>``; only their SHA-256 is stored, so a leaked database
does not leak usable keys. The plaintext is returned once, at creation.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tilework.db.tables import ApiKey, Organization, utcnow
from tilework.errors import AuthError, ValidationError

KEY_PREFIX = "mk_"


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


def issue_key(session: Session, organization: Organization) -> str:
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiKey(organization_id=organization.id, key_hash=hash_key(key), prefix=key[:10]))
    session.flush()
    return key


@dataclass(frozen=True)
class Principal:
    """Who a request acts for: the organization, the key used, and that key's previous use."""

    organization: Organization
    api_key_id: str
    previous_use: datetime | None


def authenticate(session: Session, key: str) -> Organization:
    """The organization owning ``key`` (not revoked); marks the key as used."""
    return authenticate_key(session, key).organization


def authenticate_key(session: Session, key: str) -> Principal:
    if not key.startswith(KEY_PREFIX):
        raise AuthError("invalid API key")
    api_key = session.scalar(
        select(ApiKey).where(ApiKey.key_hash == hash_key(key), ApiKey.revoked_at.is_(None))
    )
    organization = session.get(Organization, api_key.organization_id) if api_key else None
    if api_key is None or organization is None:
        raise AuthError("invalid API key")
    previous_use = api_key.last_used_at
    api_key.last_used_at = utcnow()
    session.flush()
    return Principal(organization, api_key.id, previous_use)


def _unique_slug(session: Session, name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "org"
    slug = base
    while session.scalar(select(Organization.id).where(Organization.slug == slug)) is not None:
        slug = f"{base}-{secrets.token_hex(3)}"
    return slug
