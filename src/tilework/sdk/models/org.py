"""``GET /whoami`` and [ext] ``/api_keys``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tilework.sdk.models._base import Answer, Request


class WhoAmI(Answer):
    organization_id: str
    organization_name: str
    organization_slug: str
    created_at: datetime
    last_used_at: datetime | None = None  # the key's previous use, before this request


class ApiKey(Answer):
    """[ext] An API key as ``/api_keys`` shows it (never its secret)."""

    id: str
    name: str
    prefix: str  # the key's first characters, to recognise it
    scopes: list[str] | None = None  # None: full access
    created_at: datetime
    last_used_at: datetime | None = None  # recorded to the minute
    revoked_at: datetime | None = None


class ApiKeyCreated(ApiKey):
    api_key: str  # the secret: shown by create and rotate, never again


class ApiKeyPage(Answer):
    api_keys: list[ApiKey]
    next_cursor: str | None = None

    @property
    def items(self) -> list[ApiKey]:
        return self.api_keys


class CreateApiKeyRequest(Request):
    name: str
    scopes: list[str] | None = None  # None: full access; []: nothing but GET /whoami

    def body(self) -> dict[str, Any]:
        return self.model_dump(mode="json")  # an explicit null scopes means full access
