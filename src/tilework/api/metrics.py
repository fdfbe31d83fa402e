"""``GET /metrics``: the runtime's Prometheus registry in the text exposition format."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from tilework.api.deps import get_runtime
from tilework.runtime import Runtime

router = APIRouter(tags=["operations"])


@router.get("/metrics", include_in_schema=False)
def metrics(runtime: Runtime = Depends(get_runtime)) -> Response:
    return Response(generate_latest(runtime.metrics_registry), media_type=CONTENT_TYPE_LATEST)
