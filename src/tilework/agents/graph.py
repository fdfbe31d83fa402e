"""Pure graph helpers over node ids and directed edges, shared with the run-graph compiler.

Both functions are deterministic: nodes are visited in the order given and edges in the order
given, so errors and orders do not depend on set or dict iteration quirks.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence

Edge = tuple[str, str]


def find_cycle(node_ids: Sequence[str], edges: Iterable[Edge]) -> list[str] | None:
    """A cycle as a closed path (``[a, b, c, a]``; a self-loop is ``[a, a]``), or ``None``."""
    successors = _successors(node_ids, edges)
    state: dict[str, int] = {}  # absent: unvisited, 1: on the current path, 2: done
    for root in node_ids:
        if root in state:
            continue
        path = [root]
        stack = [iter(successors[root])]
        state[root] = 1
        while stack:
            child = next(stack[-1], None)
            if child is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(child) == 1:
                return [*path[path.index(child) :], child]
            elif child not in state:
                state[child] = 1
                path.append(child)
                stack.append(iter(successors[child]))
    return None


def topological_order(node_ids: Sequence[str], edges: Iterable[Edge]) -> list[str]:
    """Nodes with every edge's source before its target; ties keep the input order.

    Raises ``ValueError`` naming the cycle when there is none.
    """
    edge_list = list(edges)
    successors = _successors(node_ids, edge_list)
    rank = {node: index for index, node in enumerate(node_ids)}
    indegree = dict.fromkeys(node_ids, 0)
    for _, target in edge_list:
        indegree[target] += 1
    ready = [rank[node] for node in node_ids if indegree[node] == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        node = node_ids[heapq.heappop(ready)]
        order.append(node)
        for child in successors[node]:
            indegree[child] -= 1
            if indegree[child] == 0:
                heapq.heappush(ready, rank[child])
    if len(order) < len(node_ids):
        cycle = find_cycle(node_ids, edge_list) or []
        raise ValueError(f"the graph has a cycle: {' -> '.join(cycle)}")
    return order


def _successors(node_ids: Sequence[str], edges: Iterable[Edge]) -> dict[str, list[str]]:
    successors: dict[str, list[str]] = {node: [] for node in node_ids}
    if len(successors) != len(node_ids):
        raise ValueError("node ids must be unique")
    for source, target in edges:
        if source not in successors or target not in successors:
            raise ValueError(f"edge {source} -> {target} names an unknown node")
        successors[source].append(target)
    return successors
