"""``Client`` and ``AsyncClient``: one connection pool to one server, one API key, and the API
grouped by subject (``client.agents``, ``client.runs``, ``client.uploads`` …).

Both read ``TILEWORK_SERVER`` and ``TILEWORK_API_KEY`` when no URL or key is given. Every
method returns a typed model; a non-2xx answer raises a ``TileworkAPIError`` subclass, an
unreachable server ``TileworkConnectionError``.
"""

from __future__ import annotations

from types import TracebackType

import httpx

from tilework.sdk import _http
from tilework.sdk._async import AsyncCore
from tilework.sdk._call import Call, model
from tilework.sdk._sync import SyncCore
from tilework.sdk.models.org import WhoAmI
from tilework.sdk.resources.agents import Agents, AsyncAgents, AsyncNodeTypes, NodeTypes
from tilework.sdk.resources.billing import AsyncCreditsApi, AsyncPlans, CreditsApi, Plans
from tilework.sdk.resources.files import AsyncFiles, Files
from tilework.sdk.resources.keys import AsyncKeys, Keys
from tilework.sdk.resources.runs import AsyncRuns, Runs
from tilework.sdk.resources.triggers import AsyncTriggers, Triggers
from tilework.sdk.resources.uploads import AsyncUploads, Uploads
from tilework.sdk.resources.webhooks import AsyncWebhooks, Webhooks


def whoami() -> Call[WhoAmI]:
    return Call("GET", "/whoami", model(WhoAmI))


class Client:
    """A synchronous client (thread-safe, like the ``httpx.Client`` underneath).

    ::

        with Client("http://127.0.0.1:8000", "mk_...") as client:
            video = client.uploads.upload("clip.mp4")
            run = client.runs.start(agent_id, video_ids=[video.upload_id])
            done = client.runs.wait(run.run_id, on_progress=lambda e: print(e.flag))
    """

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = _http.DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        core = SyncCore(
            _http.server_url(base_url),
            _http.api_key_from(api_key),
            timeout=timeout,
            transport=transport,
            headers=headers,
        )
        self._core = core
        self.base_url = core.base_url
        self.node_types = NodeTypes(core)
        self.agents = Agents(core, self.node_types)
        self.runs = Runs(core)
        self.uploads = Uploads(core)
        self.triggers = Triggers(core)
        self.plans = Plans(core)
        self.credits = CreditsApi(core)
        self.webhooks = Webhooks(core)
        self.files = Files(core)
        self.keys = Keys(core)

    def whoami(self) -> WhoAmI:
        """The organization the API key belongs to."""
        return self._core.call(whoami())

    def close(self) -> None:
        self._core.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncClient:
    """The asynchronous twin of ``Client``: the same groups and methods, awaited.

    ::

        async with AsyncClient() as client:
            run = await client.runs.start(agent_id, video_urls=["https://…/clip.mp4"])
            done = await client.runs.wait(run.run_id, timeout=600)
    """

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = _http.DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        core = AsyncCore(
            _http.server_url(base_url),
            _http.api_key_from(api_key),
            timeout=timeout,
            transport=transport,
            headers=headers,
        )
        self._core = core
        self.base_url = core.base_url
        self.node_types = AsyncNodeTypes(core)
        self.agents = AsyncAgents(core, self.node_types)
        self.runs = AsyncRuns(core)
        self.uploads = AsyncUploads(core)
        self.triggers = AsyncTriggers(core)
        self.plans = AsyncPlans(core)
        self.credits = AsyncCreditsApi(core)
        self.webhooks = AsyncWebhooks(core)
        self.files = AsyncFiles(core)
        self.keys = AsyncKeys(core)

    async def whoami(self) -> WhoAmI:
        return await self._core.call(whoami())

    async def close(self) -> None:
        await self._core.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
