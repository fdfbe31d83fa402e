"""``GET /whoami``."""

from __future__ import annotations

from datetime import datetime

from tilework.sdk.models._base import Answer


class WhoAmI(Answer):
    organization_id: str
    organization_name: str
    organization_slug: str
    created_at: datetime
    last_used_at: datetime | None = None  # the key's previous use, before this request
