"""Agents: create, read, edit (ordered atomic operations), duplicate, soft-delete.

Every read and write is scoped to one organization: another organization's agent or node answers
``NotFoundError`` exactly like a missing one. Edits go through a ``Draft`` (see ``draft.py``)
and are written only once the whole request validated. Services flush; the caller commits.
"""

from __future__ import annotations

import copy

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from tilework.agents.draft import Draft, DraftEditor, DraftNode
from tilework.agents.schemas import (
    AgentChanged,
    AgentCreate,
    AgentDuplicate,
    AgentMeta,
    AgentNodeView,
    AgentSummary,
    AgentUpdate,
    AgentView,
    ConnectionView,
    NodeTypeDetail,
    NodeTypeListed,
    NodeTypeRef,
)
from tilework.config import Settings
from tilework.db.tables import Agent, AgentConnection, AgentNode, new_id, utcnow
from tilework.errors import NotFoundError
from tilework.tiles.base import Tile
from tilework.tiles.registry import TileRegistry

# --- reads ---------------------------------------------------------------------------------


def agents_query(org_id: str) -> Select[Agent]:
    """The organization's live agents, for the caller to paginate."""
    return select(Agent).where(Agent.organization_id == org_id, Agent.deleted_at.is_(None))


def owned_agent(session: Session, org_id: str, agent_id: str) -> Agent:
    agent = session.get(Agent, agent_id)
    if agent is None or agent.organization_id != org_id or agent.deleted_at is not None:
        raise NotFoundError(f"agent {agent_id} not found")
    return agent


def get_agent(session: Session, tiles: TileRegistry, org_id: str, agent_id: str) -> AgentView:
    return agent_view(session, tiles, owned_agent(session, org_id, agent_id))


def get_agent_node(
    session: Session, tiles: TileRegistry, org_id: str, agent_node_id: str
) -> AgentNodeView:
    node = session.get(AgentNode, agent_node_id)
    if node is None:
        raise NotFoundError(f"agent node {agent_node_id} not found")
    try:
        owned_agent(session, org_id, node.agent_id)
    except NotFoundError:
        raise NotFoundError(f"agent node {agent_node_id} not found") from None
    return node_view(tiles, node)


def summary(agent: Agent) -> AgentSummary:
    return AgentSummary(
        id=agent.id,
        name=agent.name,
        description=agent.description,
        created_at=agent.created_at,
        updated_at=agent.updated_at,
    )


def agent_view(session: Session, tiles: TileRegistry, agent: Agent) -> AgentView:
    return AgentView(
        agent=AgentMeta.model_validate(agent, from_attributes=True),
        agent_nodes=[node_view(tiles, node) for node in _nodes(session, agent.id)],
        connections=[
            ConnectionView(
                source_agent_node_id=c.source_node_id, target_agent_node_id=c.target_node_id
            )
            for c in _connections(session, agent.id)
        ],
    )


def node_view(tiles: TileRegistry, node: AgentNode) -> AgentNodeView:
    return AgentNodeView(
        agent_node_id=node.id,
        node_type=node_type_ref(tiles, node.node_type_id),
        params_used=node.params,
    )


# --- node types ----------------------------------------------------------------------------


def node_type_ref(tiles: TileRegistry, node_type_id: str) -> NodeTypeRef:
    if node_type_id not in tiles:
        # A tile removed since the agent was saved: still show the node, plainly marked.
        return NodeTypeRef(
            node_type_id=node_type_id, node_type_name="Unknown", docs_url=None, params_docs_url=None
        )
    return _type_ref(tiles.get(node_type_id))


def list_node_types(tiles: TileRegistry, settings: Settings) -> list[NodeTypeListed]:
    return [_listed(tile, settings) for tile in tiles.all()]


def node_type_detail(tiles: TileRegistry, settings: Settings, node_type_id: str) -> NodeTypeDetail:
    tile = tiles.get(node_type_id)
    listed = _listed(tile, settings).model_dump()
    return NodeTypeDetail(**listed, params_schema=tile.params_schema())


def _listed(tile: Tile, settings: Settings) -> NodeTypeListed:
    return NodeTypeListed(**_type_ref(tile).model_dump(), features=tile.features(settings))


def _type_ref(tile: Tile) -> NodeTypeRef:
    # docs links are optional on tiles; a tile without them publishes nulls.
    docs_url: str | None = getattr(tile, "docs_url", None)
    params_docs_url: str | None = getattr(tile, "params_docs_url", None)
    return NodeTypeRef(
        node_type_id=tile.type_id,
        node_type_name=tile.name,
        docs_url=docs_url,
        params_docs_url=params_docs_url,
        slug=tile.slug,
    )


# --- writes --------------------------------------------------------------------------------


def create_agent(
    session: Session, tiles: TileRegistry, org_id: str, body: AgentCreate
) -> AgentChanged:
    draft = Draft()
    if body.graph is not None:
        DraftEditor(tiles, draft).apply_graph(body.graph)
    agent = Agent(
        organization_id=org_id,
        name=body.name,
        description=body.description,
        visibility=body.visibility,
    )
    session.add(agent)
    session.flush()
    _save(session, agent, Draft(), draft)
    return _changed(session, tiles, agent, draft)


def update_agent(
    session: Session, tiles: TileRegistry, org_id: str, agent_id: str, body: AgentUpdate
) -> AgentChanged:
    agent = owned_agent(session, org_id, agent_id)
    before = _load(session, agent.id)
    after = copy.deepcopy(before)
    DraftEditor(tiles, after).apply_all(body.operations)
    for field in ("name", "description", "visibility"):
        value = getattr(body, field)
        if value is not None:
            setattr(agent, field, value)
    agent.updated_at = utcnow()
    _save(session, agent, before, after)
    return _changed(session, tiles, agent, after)


def duplicate_agent(
    session: Session, tiles: TileRegistry, org_id: str, agent_id: str, body: AgentDuplicate
) -> AgentView:
    source = owned_agent(session, org_id, agent_id)
    duplicate = Agent(
        organization_id=org_id,
        name=body.name or f"Copy of {source.name}"[:120],
        description=source.description if body.description is None else body.description,
        visibility=body.visibility or source.visibility,
    )
    session.add(duplicate)
    session.flush()
    _save(session, duplicate, Draft(), _renumbered(_load(session, source.id)))
    return agent_view(session, tiles, duplicate)


def delete_agent(session: Session, org_id: str, agent_id: str) -> None:
    """Soft delete: runs keep their agent row; the agent disappears from every read."""
    agent = owned_agent(session, org_id, agent_id)
    agent.deleted_at = utcnow()
    session.flush()


# --- drafts <-> rows -----------------------------------------------------------------------


def _nodes(session: Session, agent_id: str) -> list[AgentNode]:
    query = select(AgentNode).where(AgentNode.agent_id == agent_id)
    return list(session.scalars(query.order_by(AgentNode.position, AgentNode.id)))


def _connections(session: Session, agent_id: str) -> list[AgentConnection]:
    query = select(AgentConnection).where(AgentConnection.agent_id == agent_id)
    return list(session.scalars(query.order_by(AgentConnection.id)))


def _load(session: Session, agent_id: str) -> Draft:
    nodes = {
        n.id: DraftNode(n.id, n.node_type_id, dict(n.params), n.position)
        for n in _nodes(session, agent_id)
    }
    edges = [(c.source_node_id, c.target_node_id) for c in _connections(session, agent_id)]
    return Draft(nodes=nodes, edges=edges)


def _renumbered(draft: Draft) -> Draft:
    """The same graph under fresh node ids (for a copy)."""
    ids = {old: new_id() for old in draft.nodes}
    nodes = {
        ids[n.id]: DraftNode(ids[n.id], n.node_type_id, dict(n.params), n.position)
        for n in draft.nodes.values()
    }
    return Draft(nodes=nodes, edges=[(ids[s], ids[t]) for s, t in draft.edges])


def _save(session: Session, agent: Agent, before: Draft, after: Draft) -> None:
    """Write the difference between two drafts (edges out first, nodes in first: FK order)."""
    kept_edges = set(after.edges)
    for edge in _connections(session, agent.id):
        if (edge.source_node_id, edge.target_node_id) not in kept_edges:
            session.delete(edge)
    session.flush()
    for row in _nodes(session, agent.id):
        if row.id not in after.nodes:
            session.delete(row)
        elif row.params != after.nodes[row.id].params:
            row.params = dict(after.nodes[row.id].params)
    session.flush()
    for node in after.nodes.values():
        if node.id not in before.nodes:
            session.add(
                AgentNode(
                    id=node.id,
                    agent_id=agent.id,
                    node_type_id=node.node_type_id,
                    params=node.params,
                    position=node.position,
                )
            )
    session.flush()
    old_edges = set(before.edges)
    for source, target in after.edges:
        if (source, target) not in old_edges:
            session.add(
                AgentConnection(agent_id=agent.id, source_node_id=source, target_node_id=target)
            )
    session.flush()


def _changed(session: Session, tiles: TileRegistry, agent: Agent, draft: Draft) -> AgentChanged:
    view = agent_view(session, tiles, agent)
    return AgentChanged(**dict(view), created_nodes=dict(draft.created))
