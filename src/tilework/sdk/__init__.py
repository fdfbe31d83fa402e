"""Tilework's Python SDK: a typed client for the Tilework (and Mosaic-compatible) HTTP API.

::

    from tilework.sdk import Client

    with Client("http://127.0.0.1:8000", "mk_...") as client:
        agent = client.agents.import_yaml(open("agent.yaml").read())
        video = client.uploads.upload("clip.mp4", on_progress=lambda sent, total: ...)
        run = client.runs.start(agent.id, video_ids=[video.upload_id])
        finished = client.runs.wait(run.run_id, on_progress=lambda event: print(event.flag))
        for output in finished.outputs:
            print(output.video_url)

``AsyncClient`` has the same groups and methods, awaited. The SDK is a pure HTTP client: it
imports nothing from the server packages. Models: ``tilework.sdk.models``.
"""

from tilework.sdk.agent_yaml import (
    AgentSpec,
    AgentYamlError,
    NodeSpec,
    agent_to_yaml,
    build_create_request,
    parse_agent_yaml,
)
from tilework.sdk.client import AsyncClient, Client
from tilework.sdk.errors import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InsufficientCreditsError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TileworkAPIError,
    TileworkClientError,
    TileworkConnectionError,
    TileworkResponseError,
    TileworkTimeoutError,
    UnprocessableError,
)
from tilework.sdk.models import (
    Agent,
    AgentChanged,
    AgentSummary,
    Output,
    Run,
    RunEvent,
    RunFinishedEvent,
    RunProgressEvent,
    RunRequest,
    RunStartedEvent,
    RunSummary,
    Trigger,
    UploadedMedia,
    VideoInput,
)
from tilework.sdk.sse import SSEDecoder, SSEEvent, parse_sse

__all__ = [
    "Agent",
    "AgentChanged",
    "AgentSpec",
    "AgentSummary",
    "AgentYamlError",
    "AsyncClient",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "ConflictError",
    "InsufficientCreditsError",
    "NodeSpec",
    "NotFoundError",
    "Output",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitError",
    "Run",
    "RunEvent",
    "RunFinishedEvent",
    "RunProgressEvent",
    "RunRequest",
    "RunStartedEvent",
    "RunSummary",
    "SSEDecoder",
    "SSEEvent",
    "ServerError",
    "TileworkAPIError",
    "TileworkClientError",
    "TileworkConnectionError",
    "TileworkResponseError",
    "TileworkTimeoutError",
    "Trigger",
    "UnprocessableError",
    "UploadedMedia",
    "VideoInput",
    "agent_to_yaml",
    "build_create_request",
    "parse_agent_yaml",
    "parse_sse",
]
