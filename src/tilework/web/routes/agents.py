"""Agents: the list, import and export as YAML, an agent's graph and parameter forms, running
it on an upload or a URL, and sharing it. Every change goes through the services the API uses."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from tilework.agents import service, sharing
from tilework.agents.schemas import AgentUpdate, AgentView, UpdateNodeOp
from tilework.agents.sharing import ShareRequest
from tilework.agents.yaml_io import agent_from_yaml, agent_to_yaml
from tilework.api.deps import SessionDep, get_runtime
from tilework.api.pagination import paginate
from tilework.api.uploads import get_uploads
from tilework.db.session import unit_of_work
from tilework.db.tables import Agent, Run
from tilework.engine.schemas import RunRequest, VideoInput
from tilework.errors import TileworkError, ValidationError
from tilework.runtime import Runtime
from tilework.tiles.registry import TileRegistry
from tilework.web import forms, graph
from tilework.web.auth import WebUser, require_csrf, require_user
from tilework.web.rendering import HtmlRoute, is_htmx, redirect, render

router = APIRouter(prefix="/app", route_class=HtmlRoute, include_in_schema=False)

MAX_YAML_BYTES = 1_000_000


# --- list and import -------------------------------------------------------------------------


@router.get("/agents")
def agent_list(
    request: Request,
    session: SessionDep,
    cursor: str | None = None,
    user: WebUser = Depends(require_user),
) -> Response:
    return _list_page(request, session, user, cursor)


@router.post("/agents/import")
async def import_agent(
    request: Request,
    yaml_text: Annotated[str, Form()] = "",
    yaml_file: Annotated[UploadFile | None, Form()] = None,
    user: WebUser = Depends(require_csrf),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    text = yaml_text
    if yaml_file is not None and yaml_file.filename:
        data = await yaml_file.read(MAX_YAML_BYTES + 1)
        if len(data) > MAX_YAML_BYTES:
            return await run_in_threadpool(_import_failed, request, user, "the file is over 1 MB")
        text = data.decode("utf-8", errors="replace")
    try:
        agent_id = await run_in_threadpool(_import, runtime, user.organization_id, text)
    except TileworkError as exc:
        return await run_in_threadpool(_import_failed, request, user, exc.detail)
    return redirect(request, f"/app/agents/{agent_id}")


def _import(runtime: Runtime, org_id: str, text: str) -> str:
    if not text.strip():
        raise ValidationError("paste an agent's YAML or choose a .yaml file")
    body = agent_from_yaml(text, runtime.tiles)
    with unit_of_work(runtime.sessions) as session:
        return service.create_agent(session, runtime.tiles, org_id, body).agent.id


def _import_failed(request: Request, user: WebUser, detail: str) -> Response:
    runtime: Runtime = request.app.state.runtime
    with unit_of_work(runtime.sessions) as session:
        return _list_page(request, session, user, None, import_error=detail, status_code=400)


def _list_page(
    request: Request,
    session: Session,
    user: WebUser,
    cursor: str | None,
    import_error: str = "",
    status_code: int = 200,
) -> Response:
    agents, next_cursor = paginate(
        session, service.agents_query(user.organization_id), Agent, cursor=cursor
    )
    context = {
        "title": "Agents",
        "section": "agents",
        "agents": agents,
        "next_cursor": next_cursor,
        "import_error": import_error,
    }
    return render(request, "agents/list.html", context, user=user, status_code=status_code)


# --- one agent -------------------------------------------------------------------------------


@router.get("/agents/{agent_id}")
def agent_page(
    request: Request,
    agent_id: str,
    session: SessionDep,
    user: WebUser = Depends(require_user),
) -> Response:
    return _agent_page(request, session, user, agent_id)


def _agent_page(
    request: Request,
    session: Session,
    user: WebUser,
    agent_id: str,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    runtime: Runtime = request.app.state.runtime
    view = service.get_agent(session, runtime.tiles, user.organization_id, agent_id)
    runs: list[Run] = []
    if user.may("GET", "/app/runs"):  # a key that may not read runs sees none listed
        runs, _ = paginate(session, select(Run).where(Run.agent_id == agent_id), Run, limit=10)
    context = {
        "title": view.agent.name,
        "section": "agents",
        "view": view,
        "nodes": node_forms(runtime.tiles, view),
        "wide": drawing(view, vertical=False),
        "tall": drawing(view, vertical=True),
        "inputs": _input_nodes(runtime.tiles, view),
        "runs": runs,
        "finished_runs": [run for run in runs if run.status != "running"],
        "share": sharing.share_state(
            session, user.organization_id, agent_id, runtime.settings.public_base_url
        ),
        "run_error": "",
        "share_error": "",
        **extra,
    }
    return render(request, "agents/detail.html", context, user=user, status_code=status_code)


def drawing(view: AgentView, *, vertical: bool, params: bool = True) -> graph.Drawing:
    """The graph as boxes and arrows; ``params=False`` leaves the parameters out of the boxes."""
    nodes = [
        graph.NodeIn(
            node.agent_node_id,
            node.node_type.node_type_name,
            _params_line(node) if params else "",
        )
        for node in view.agent_nodes
    ]
    edges = [(c.source_agent_node_id, c.target_agent_node_id) for c in view.connections]
    return graph.layout(nodes, edges, vertical=vertical)


def _params_line(node: Any) -> str:
    params: dict[str, Any] = node.params_used
    return ", ".join(f"{key}={value}" for key, value in params.items())


def node_forms(tiles: TileRegistry, view: AgentView) -> list[dict[str, Any]]:
    return [_node_form(tiles, node) for node in view.agent_nodes]


def _node_form(tiles: TileRegistry, node: Any, **extra: Any) -> dict[str, Any]:
    type_id = node.node_type.node_type_id
    schema = tiles.get(type_id).params_schema() if type_id in tiles else {}
    return {
        "node": node,
        "fields": forms.fields_for(schema, node.params_used),
        "error": "",
        "saved": False,
        **extra,
    }


def _input_nodes(tiles: TileRegistry, view: AgentView) -> list[Any]:
    return [
        node
        for node in view.agent_nodes
        if node.node_type.node_type_id in tiles and tiles.get(node.node_type.node_type_id).is_input
    ]


@router.get("/agents/{agent_id}/graph")
def agent_graph(
    request: Request,
    agent_id: str,
    session: SessionDep,
    user: WebUser = Depends(require_user),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    """The graph drawing alone: re-drawn after a node's parameters change."""
    view = service.get_agent(session, runtime.tiles, user.organization_id, agent_id)
    context = {
        "view": view,
        "wide": drawing(view, vertical=False),
        "tall": drawing(view, vertical=True),
    }
    return render(request, "agents/_graph_section.html", context, user=user)


# --- node parameters -------------------------------------------------------------------------


@router.post("/agents/{agent_id}/nodes/{node_id}")
async def update_node(
    request: Request,
    agent_id: str,
    node_id: str,
    user: WebUser = Depends(require_csrf),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    form = await request.form()
    return await run_in_threadpool(_update_node, request, runtime, user, agent_id, node_id, form)


def _update_node(
    request: Request,
    runtime: Runtime,
    user: WebUser,
    agent_id: str,
    node_id: str,
    form: FormData,
) -> Response:
    with unit_of_work(runtime.sessions) as session:
        view = service.get_agent(session, runtime.tiles, user.organization_id, agent_id)
    node = next((n for n in view.agent_nodes if n.agent_node_id == node_id), None)
    if node is None:
        raise ValidationError(f"node {node_id} is not part of this agent")
    schema = runtime.tiles.get(node.node_type.node_type_id).params_schema()
    values = {key: [v for v in form.getlist(key) if isinstance(v, str)] for key in form}
    try:
        params = forms.params_from_form(schema, values, node.params_used)
        operation = UpdateNodeOp(op="update_node", agent_node_id=node_id, params_used=params)
        with unit_of_work(runtime.sessions) as session:
            changed = service.update_agent(
                session,
                runtime.tiles,
                user.organization_id,
                agent_id,
                AgentUpdate(operations=[operation]),
            )
    except TileworkError as exc:
        return _node_answer(request, runtime, user, agent_id, node, exc.detail, status_code=400)
    saved = next(n for n in changed.agent_nodes if n.agent_node_id == node_id)
    return _node_answer(request, runtime, user, agent_id, saved, "")


def _node_answer(
    request: Request,
    runtime: Runtime,
    user: WebUser,
    agent_id: str,
    node: Any,
    error: str,
    status_code: int = 200,
) -> Response:
    if not is_htmx(request):
        if error:
            with unit_of_work(runtime.sessions) as session:
                return _agent_page(request, session, user, agent_id, status_code, run_error=error)
        return redirect(request, f"/app/agents/{agent_id}#node-{node.agent_node_id}")
    context = {
        "agent_id": agent_id,
        "item": _node_form(runtime.tiles, node, error=error, saved=not error),
    }
    response = render(
        request, "agents/_node_form.html", context, user=user, status_code=status_code
    )
    if not error:
        response.headers["HX-Trigger"] = "agent-changed"  # the graph re-draws itself
    return response


# --- export, run, share ----------------------------------------------------------------------


@router.get("/agents/{agent_id}/export.yaml")
def export_agent(
    agent_id: str,
    session: SessionDep,
    user: WebUser = Depends(require_user),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    view = service.get_agent(session, runtime.tiles, user.organization_id, agent_id)
    name = re.sub(r"[^a-z0-9]+", "-", view.agent.name.lower()).strip("-") or "agent"
    return Response(
        agent_to_yaml(view),
        media_type="application/yaml",
        headers={"Content-Disposition": f'attachment; filename="{name}.yaml"'},
    )


@router.post("/agents/{agent_id}/run")
async def run_agent(
    request: Request,
    agent_id: str,
    user: WebUser = Depends(require_csrf),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    form = await request.form()
    try:
        run_id = await run_in_threadpool(_start_run, runtime, user, agent_id, form)
    except TileworkError as exc:
        return await run_in_threadpool(_run_failed, request, runtime, user, agent_id, exc.detail)
    return redirect(request, f"/app/runs/{run_id}")


def _start_run(runtime: Runtime, user: WebUser, agent_id: str, form: FormData) -> str:
    """Inputs per Video Input node: uploaded ``video_id_<node>`` (finalized here) and/or URLs
    ``video_urls_<node>`` (one a line); an optional callback URL."""
    uploads = get_uploads(runtime)
    inputs = []
    for key in form:
        if not key.startswith("node_"):
            continue
        node_id = str(form[key])
        video_id = str(form.get(f"video_id_{node_id}", "")).strip()
        urls = str(form.get(f"video_urls_{node_id}", "")).split()
        if video_id:
            uploads.finalize(user.organization_id, "video", video_id)
        if video_id or urls:
            inputs.append(
                VideoInput(
                    agent_node_id=node_id, video_ids=[video_id] if video_id else [], video_urls=urls
                )
            )
    if not inputs:
        raise ValidationError("choose a video file or give a video URL to run the agent on")
    callback = str(form.get("callback_url", "")).strip() or None
    request = RunRequest(video_inputs=inputs, callback_url=callback)
    return runtime.runs.start_run(user.organization_id, agent_id, request)


def _run_failed(
    request: Request, runtime: Runtime, user: WebUser, agent_id: str, detail: str
) -> Response:
    with unit_of_work(runtime.sessions) as session:
        return _agent_page(request, session, user, agent_id, 400, run_error=detail)


@router.post("/agents/{agent_id}/share")
def share_agent(
    request: Request,
    agent_id: str,
    session: SessionDep,
    run_id: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    duplicate: Annotated[bool, Form()] = False,
    user: WebUser = Depends(require_csrf),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    body = ShareRequest(run_id=run_id or None, name=name.strip() or None, duplicate=duplicate)
    state = sharing.share_agent(
        session,
        runtime.tiles,
        user.organization_id,
        agent_id,
        body,
        runtime.settings.public_base_url,
    )
    return redirect(request, f"/app/agents/{state.agent_id}#sharing")


@router.post("/agents/{agent_id}/unshare")
def unshare_agent(
    request: Request,
    agent_id: str,
    session: SessionDep,
    user: WebUser = Depends(require_csrf),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    base_url = runtime.settings.public_base_url
    sharing.unshare_agent(session, user.organization_id, agent_id, base_url)
    return redirect(request, f"/app/agents/{agent_id}#sharing")
