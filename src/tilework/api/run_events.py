"""``GET /agent_run/{run_id}/events``: the run's webhook events as a Server-Sent Events stream.

HTTP only: ownership comes from the ``get_owned_run`` dependency (404 for a foreign or missing
run), following and framing the events from ``tilework.webhooks.stream``.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Header
from fastapi.responses import StreamingResponse

from tilework.api.deps import RunAccess, get_owned_run
from tilework.webhooks.stream import parse_last_event_id, run_event_stream, sse_frames

router = APIRouter(tags=["runs"])


@router.get(
    "/agent_run/{run_id}/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
def stream_run_events(
    access: RunAccess = Depends(get_owned_run),
    last_event_id: str | None = Header(default=None, alias="Last-Event-ID"),
) -> StreamingResponse:
    """Replay the run's events after ``Last-Event-ID`` and follow it until ``RUN_FINISHED``."""
    events = run_event_stream(
        access.sessions, access.run_id, last_seq=parse_last_event_id(last_event_id)
    )
    return StreamingResponse(
        sse_frames(events),
        media_type="text/event-stream",
        # Proxies must neither cache nor buffer a live stream.
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
