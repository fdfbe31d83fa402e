from __future__ import annotations

import itertools

import pytest

from tilework.agents.graph import find_cycle, topological_order


def test_no_cycle_in_a_dag() -> None:
    assert find_cycle(["a", "b", "c"], [("a", "b"), ("b", "c"), ("a", "c")]) is None
    assert find_cycle([], []) is None


def test_finds_a_cycle_as_a_closed_path() -> None:
    cycle = find_cycle(["a", "b", "c", "d"], [("a", "b"), ("b", "c"), ("c", "b"), ("c", "d")])
    assert cycle == ["b", "c", "b"]


def test_a_self_loop_is_a_cycle() -> None:
    assert find_cycle(["a"], [("a", "a")]) == ["a", "a"]


def test_topological_order_breaks_ties_by_input_order() -> None:
    nodes = ["render", "input", "trim", "other"]
    edges = [("input", "trim"), ("trim", "render")]
    assert topological_order(nodes, edges) == ["input", "trim", "render", "other"]
    assert topological_order(["b", "a"], []) == ["b", "a"]


def test_topological_order_of_a_diamond() -> None:
    edges = [("a", "c"), ("a", "b"), ("b", "d"), ("c", "d")]
    assert topological_order(["a", "b", "c", "d"], edges) == ["a", "b", "c", "d"]


def test_topological_order_refuses_cycles_and_unknown_nodes() -> None:
    with pytest.raises(ValueError, match="a -> b -> a"):
        topological_order(["a", "b"], [("a", "b"), ("b", "a")])
    with pytest.raises(ValueError, match="unknown node"):
        topological_order(["a"], [("a", "z")])
    with pytest.raises(ValueError, match="unique"):
        find_cycle(["a", "a"], [])


def test_a_long_chain_does_not_recurse() -> None:
    nodes = [str(i) for i in range(5000)]
    edges = list(itertools.pairwise(nodes))
    assert find_cycle(nodes, edges) is None
    assert topological_order(list(reversed(nodes)), edges) == nodes
