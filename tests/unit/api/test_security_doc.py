"""docs/security.md's scope table says exactly what ``api.route_scopes`` enforces."""

from __future__ import annotations

import re
from pathlib import Path

from tilework.api.route_scopes import ANY_KEY, FULL_ACCESS, ROUTE_SCOPES, Needs

DOC = Path(__file__).resolve().parents[3] / "docs" / "security.md"


def documented() -> dict[tuple[str, str], Needs]:
    table = DOC.read_text(encoding="utf-8").split("| route | scopes |", 1)[1].split("\n\n", 1)[0]
    found: dict[tuple[str, str], Needs] = {}
    for row in table.splitlines()[2:]:
        routes, needs = row.strip("| ").rsplit(" | ", 1)
        scopes = tuple(re.findall(r"`([a-z_]+:[a-z]+)`", needs))
        meaning = {"any key": ANY_KEY, "full access": FULL_ACCESS}.get(needs.strip(), scopes)
        for methods, path in re.findall(r"`([A-Z\\|]+) (/[^`]*)`", routes):
            for method in methods.split("\\|"):
                found[(method, path)] = meaning
    return found


def test_the_scope_table_in_the_docs_matches_the_code() -> None:
    assert documented() == ROUTE_SCOPES
