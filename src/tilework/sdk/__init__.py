"""A small Python client for Tilework's HTTP API (also speaks to Mosaic-compatible servers).

    from tilework.sdk import TileworkClient

    with TileworkClient("http://127.0.0.1:8000", "mk_...") as client:
        video_id = client.upload_video("clip.mp4")
        run_id = client.run_agent(agent_id, video_ids=[video_id])
        for event in client.stream_events(run_id):
            print(event["flag"], event["status"])

The SDK is a pure HTTP client: it imports nothing from the server packages.
"""

from tilework.sdk.agent_yaml import (
    AgentSpec,
    AgentYamlError,
    NodeSpec,
    agent_to_yaml,
    build_create_request,
    parse_agent_yaml,
)
from tilework.sdk.client import TileworkClient
from tilework.sdk.errors import TileworkAPIError, TileworkClientError, TileworkConnectionError
from tilework.sdk.sse import SSEDecoder, SSEEvent, parse_sse

__all__ = [
    "AgentSpec",
    "AgentYamlError",
    "NodeSpec",
    "SSEDecoder",
    "SSEEvent",
    "TileworkAPIError",
    "TileworkClient",
    "TileworkClientError",
    "TileworkConnectionError",
    "agent_to_yaml",
    "build_create_request",
    "parse_agent_yaml",
    "parse_sse",
]
