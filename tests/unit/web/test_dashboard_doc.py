"""docs/dashboard.md's table of what a session may do is what ``web.route_scopes`` does."""

from __future__ import annotations

import re
from pathlib import Path

from tilework.web.route_scopes import WEB_ROUTES, required_scopes

DOC = Path(__file__).resolve().parents[3] / "docs" / "dashboard.md"
ROUTE = r"`([A-Z]+) (/[^`]*)`"


def documented() -> dict[tuple[str, str], tuple[tuple[tuple[str, str], ...], tuple[str, ...]]]:
    heading = "| dashboard route | does the work of | scopes |"
    table = DOC.read_text(encoding="utf-8").split(heading, 1)[1].split("\n\n", 1)[0]
    found = {}
    for row in table.strip().splitlines()[1:]:
        route, mirrors, needs = row.strip("| ").split(" | ")
        ((method, path),) = re.findall(ROUTE, route)
        scopes = tuple(re.findall(r"`([a-z_]+:[a-z]+)`", needs))
        found[(method, path)] = (tuple(re.findall(ROUTE, mirrors)), scopes)
    return found


def test_the_dashboard_scope_table_in_the_docs_matches_the_code() -> None:
    expected = {route: (ops, required_scopes(*route)) for route, ops in WEB_ROUTES.items()}
    assert documented() == expected
