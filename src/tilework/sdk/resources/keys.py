"""[ext] The organization's API keys: create (the secret shown once), list, revoke, rotate.
Needs a full-access key."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence

from tilework.sdk._async import AsyncCore
from tilework.sdk._call import Call, model, path, query
from tilework.sdk._sync import SyncCore
from tilework.sdk.models.org import ApiKey, ApiKeyCreated, ApiKeyPage, CreateApiKeyRequest

# --- operations ------------------------------------------------------------------------------


def create_key(name: str, scopes: Sequence[str] | None) -> Call[ApiKeyCreated]:
    body = CreateApiKeyRequest(name=name, scopes=None if scopes is None else list(scopes))
    return Call("POST", "/api_keys", model(ApiKeyCreated), body=body)


def list_keys(limit: int, cursor: str | None) -> Call[ApiKeyPage]:
    return Call("GET", "/api_keys", model(ApiKeyPage), query(limit=limit, cursor=cursor))


def revoke_key(key_id: str) -> Call[ApiKey]:
    return Call("POST", path("/api_keys/{}/revoke", key_id), model(ApiKey))


def rotate_key(key_id: str) -> Call[ApiKeyCreated]:
    return Call("POST", path("/api_keys/{}/rotate", key_id), model(ApiKeyCreated))


# --- synchronous -----------------------------------------------------------------------------


class Keys:
    def __init__(self, core: SyncCore) -> None:
        self._core = core

    def create(self, name: str, *, scopes: Sequence[str] | None = None) -> ApiKeyCreated:
        """A new key holding ``scopes`` (None: full access); ``api_key`` is its secret."""
        return self._core.call(create_key(name, scopes))

    def list(self, *, limit: int = 25, cursor: str | None = None) -> ApiKeyPage:
        """One page, newest first, revoked keys included."""
        return self._core.call(list_keys(limit, cursor))

    def iterate(self, *, page_size: int = 100) -> Iterator[ApiKey]:
        return self._core.paginate(lambda cursor: list_keys(page_size, cursor))

    def revoke(self, key_id: str) -> ApiKey:
        """Stop the key now (the organization's last full-access key cannot be revoked)."""
        return self._core.call(revoke_key(key_id))

    def rotate(self, key_id: str) -> ApiKeyCreated:
        """A new secret for the key (same id, name and scopes); the old one stops working."""
        return self._core.call(rotate_key(key_id))


# --- asynchronous ----------------------------------------------------------------------------


class AsyncKeys:
    def __init__(self, core: AsyncCore) -> None:
        self._core = core

    async def create(self, name: str, *, scopes: Sequence[str] | None = None) -> ApiKeyCreated:
        return await self._core.call(create_key(name, scopes))

    async def list(self, *, limit: int = 25, cursor: str | None = None) -> ApiKeyPage:
        return await self._core.call(list_keys(limit, cursor))

    def iterate(self, *, page_size: int = 100) -> AsyncIterator[ApiKey]:
        return self._core.paginate(lambda cursor: list_keys(page_size, cursor))

    async def revoke(self, key_id: str) -> ApiKey:
        return await self._core.call(revoke_key(key_id))

    async def rotate(self, key_id: str) -> ApiKeyCreated:
        return await self._core.call(rotate_key(key_id))
