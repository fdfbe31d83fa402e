"""``/shared/{token}``: the public, read-only page of a shared agent (and one finished run's
outputs). No session: the unguessable token is the only credential, and the page shows the
agent's graph, the run's outputs and nothing else of the organization — no navigation, no ids
that open anything, no parameters (they can name the organization's uploads)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from tilework.agents import service, sharing
from tilework.api.deps import SessionDep, get_runtime
from tilework.db.tables import Run
from tilework.engine import views
from tilework.runtime import Runtime
from tilework.web.rendering import HtmlRoute, render
from tilework.web.routes.agents import drawing

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)


@router.get(sharing.SHARE_PATH + "{token}")
def shared_page(
    request: Request,
    token: str,
    session: SessionDep,
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    share, agent = sharing.shared_by_token(session, token)
    view = service.agent_view(session, runtime.tiles, agent)
    run = session.get(Run, share.run_id) if share.run_id else None
    names = {node.agent_node_id: node.node_type.node_type_name for node in view.agent_nodes}
    context = {
        "title": share.name,
        "share": share,
        "description": agent.description,
        "wide": drawing(view, vertical=False, params=False),
        "tall": drawing(view, vertical=True, params=False),
        "run": run,
        "outputs": views.run_outputs(session, run.id, runtime.signer) if run else [],
        "node_names": names,
    }
    response = render(request, "shared.html", context)
    response.headers["Referrer-Policy"] = "no-referrer"  # the link is the credential
    response.headers["X-Robots-Tag"] = "noindex"
    return response
