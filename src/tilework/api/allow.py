"""The ``Allow`` header of a 405: every method the path's route answers, not just one route's.

Starlette answers 405 with the methods of the first route whose path matched. Here each method
has its own route (``POST`` and ``DELETE /agent/{agent_id}/delete``), so that would advertise
one method only; and where templates overlap (``/agent/create`` also fits ``/agent/{agent_id}``)
the most literal template is the resource the path names, as in the OpenAPI document.
"""

from __future__ import annotations

from collections import defaultdict

from fastapi.routing import iter_route_contexts
from starlette.requests import Request
from starlette.routing import Match


def allowed_methods(request: Request) -> str:
    by_template: dict[str, set[str]] = defaultdict(set)
    for route in iter_route_contexts(request.app.routes):
        match, _ = route.matches(request.scope)
        template = route.path_format
        if match != Match.NONE and template is not None:
            by_template[template] |= set(route.methods or ())
    if not by_template:
        return ""
    literal = min(by_template, key=lambda template: template.count("{"))
    return ", ".join(sorted(by_template[literal]))
