"""The app's route table, as the generated tests walk it: one ``Operation`` per method and path."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from tilework.api.deps import get_principal
from tilework.api.openapi import depends_on


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # the template: /agent/{agent_id}
    authenticated: bool
    spec: dict[str, Any]  # its OpenAPI operation ({} when left out of the schema)

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"{(\w+)(?::\w+)?}", self.path)

    @property
    def query_params(self) -> list[str]:
        return [p["name"] for p in self.spec.get("parameters", []) if p["in"] == "query"]

    @property
    def needs_body(self) -> bool:
        return bool(self.spec.get("requestBody", {}).get("required"))

    @property
    def streams(self) -> bool:
        content = self.spec.get("responses", {}).get("200", {}).get("content", {})
        return "text/event-stream" in content

    def url(self, values: dict[str, str]) -> str:
        return re.sub(r"{(\w+)(?::\w+)?}", lambda m: values[m.group(1)], self.path)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def operations(app: FastAPI) -> list[Operation]:
    paths = app.openapi()["paths"]
    found = []
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or route.path_format is None:
            continue
        for method in sorted(route.methods or ()):
            if method == "HEAD":
                continue
            spec = paths.get(route.path_format, {}).get(method.lower(), {})
            authenticated = depends_on(route.dependant, get_principal)
            found.append(Operation(method, route.path_format, authenticated, spec))
    return found
