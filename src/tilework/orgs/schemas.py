"""Wire shapes of API keys: what ``/api_keys`` takes and answers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tilework.orgs.scopes import Scope, normalize


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, description="What the key is for")
    scopes: list[Scope] | None = Field(
        default=None,
        description="What the key may do; omitted or null: full access (every scope, also "
        "those a later release adds); [] : nothing but `GET /whoami`",
    )

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be blank")
        return value

    @field_validator("scopes")
    @classmethod
    def _distinct(cls, value: list[Scope] | None) -> list[Scope] | None:
        return normalize(value)


class ApiKeyView(BaseModel):
    id: str
    name: str
    prefix: str = Field(description="The key's first characters, to recognise it")
    scopes: list[Scope] | None = Field(description="null: full access")
    created_at: datetime
    last_used_at: datetime | None = Field(description="Recorded to the minute, not per request")
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyView):
    api_key: str = Field(description="The secret (`mk_...`): shown this once, never again")


class ApiKeyPage(BaseModel):
    api_keys: list[ApiKeyView]
    next_cursor: str | None
