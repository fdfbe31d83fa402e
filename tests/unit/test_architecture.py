"""The one-way flow, checked: API -> engine -> dispatcher port -> tiles/media -> events -> webhooks.

Every module under ``src/tilework`` is parsed (imports anywhere in the file count, including
lazy and ``TYPE_CHECKING`` ones) and each import is checked against the rules below. See
``docs/architecture.md``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "tilework"


@dataclass(frozen=True)
class Rule:
    importer: str  # package (or module) the rule applies to
    forbidden: tuple[str, ...]  # what it must not import
    allowed: tuple[str, ...] = ()  # exceptions inside ``forbidden``
    why: str = ""


RULES = (
    Rule(
        "tilework.tiles",
        ("tilework.api", "tilework.engine", "tilework.db"),
        why="a tile transforms timelines; it never sees HTTP, the engine or the database",
    ),
    Rule(
        "tilework.media",
        ("tilework.api", "tilework.engine", "tilework.db"),
        why="media is ffmpeg and timelines only",
    ),
    Rule(
        "tilework.engine",
        ("tilework.api", "tilework.workers"),
        allowed=("tilework.workers.port",),
        why="the engine schedules through the dispatcher port, never a concrete adapter",
    ),
    Rule(
        "tilework.analysis",
        ("tilework.api", "tilework.engine", "tilework.db", "tilework.tiles"),
        why="analysis answers questions about a media file; it knows no runs, tiles or HTTP",
    ),
    Rule(
        "tilework.billing",
        ("tilework.api", "tilework.engine", "tilework.tiles", "tilework.media"),
        why="billing is the credit ledger and plans; the engine calls it, never the reverse",
    ),
    Rule(
        "tilework.triggers",
        ("tilework.api", "tilework.tiles", "tilework.media"),
        why="triggers decide when a run starts and hand it to the engine",
    ),
    Rule(
        "tilework.sdk",
        ("tilework",),
        allowed=("tilework.sdk",),
        why="the SDK is a pure HTTP client",
    ),
)
API_IMPORTERS = ("tilework.api", "tilework.cli", "tilework.runtime", "tilework.web")
WEB_IMPORTERS = ("tilework.web", "tilework.api.app")  # the app factory installs the dashboard
# Concrete adapters are picked by the composition root; besides their own package only the CLI
# (start-up checks) and the migration (Procrastinate's schema) may name them.
ADAPTERS = ("tilework.workers.embedded", "tilework.workers.postgres", "tilework.storage.s3")
ADAPTER_IMPORTERS = (
    "tilework.runtime",
    "tilework.cli",
    "tilework.workers",
    "tilework.storage",
    "tilework.db.migrate",
)


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_names(source: str, module: str, is_package: bool) -> Iterator[tuple[int, str]]:
    """(line, dotted name) of every import; ``from a import b`` yields ``a.b``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = resolve_from(module, is_package, node.level, node.module)
            for alias in node.names:
                yield node.lineno, base if alias.name == "*" else f"{base}.{alias.name}"


def resolve_from(module: str, is_package: bool, level: int, target: str | None) -> str:
    if level == 0:
        return target or ""
    parts = module.split(".")
    anchor = parts if is_package else parts[:-1]
    anchor = anchor[: len(anchor) - (level - 1)]
    return ".".join([*anchor, target] if target else anchor)


def violations(module: str, imports: list[tuple[int, str]]) -> list[str]:
    found = []
    for line, name in imports:
        for rule in RULES:
            if not within(module, rule.importer):
                continue
            if any(within(name, f) for f in rule.forbidden) and not any(
                within(name, a) for a in rule.allowed
            ):
                found.append(f"{module}:{line} imports {name} ({rule.why})")
        if within(name, "tilework.api") and not any(within(module, m) for m in API_IMPORTERS):
            found.append(f"{module}:{line} imports {name} (only api, cli, runtime and web may)")
        if within(name, "tilework.web") and not any(within(module, m) for m in WEB_IMPORTERS):
            found.append(f"{module}:{line} imports {name} (the dashboard is HTTP-side, like api)")
        if any(within(name, a) for a in ADAPTERS) and not any(
            within(module, m) for m in ADAPTER_IMPORTERS
        ):
            found.append(f"{module}:{line} imports the adapter {name} (only runtime picks them)")
    return found


def all_modules() -> Iterator[tuple[str, list[tuple[int, str]]]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        module = module_name(path)
        source = path.read_text(encoding="utf-8")
        yield module, list(imported_names(source, module, path.name == "__init__.py"))


def test_no_module_imports_against_the_flow() -> None:
    problems = [line for module, imports in all_modules() for line in violations(module, imports)]
    assert not problems, "imports against the architecture:\n" + "\n".join(problems)


def test_the_checker_sees_modules() -> None:
    names = {module for module, _ in all_modules()}
    assert {"tilework.config", "tilework.sdk.client", "tilework.cli.main"} <= names


@pytest.mark.parametrize(
    ("module", "source", "is_package", "bad"),
    [
        ("tilework.tiles.trim", "from tilework.api.app import create_app", False, True),
        ("tilework.tiles.trim", "def f():\n    import tilework.db.tables", False, True),
        ("tilework.tiles.trim", "from ..engine import service", False, True),
        ("tilework.tiles", "from . import base", True, False),
        ("tilework.media.ffmpeg", "from tilework.db import session", False, True),
        ("tilework.engine.service", "from tilework.workers.embedded import X", False, True),
        ("tilework.engine.service", "from tilework.workers import embedded", False, True),
        ("tilework.engine.service", "from tilework.workers.port import Dispatcher", False, False),
        ("tilework.engine.service", "from tilework.workers import port", False, False),
        ("tilework.engine.service", "from ..api import deps", False, True),
        ("tilework.sdk.client", "from tilework.errors import TileworkError", False, True),
        ("tilework.sdk.client", "from tilework.sdk.sse import SSEDecoder", False, False),
        ("tilework.webhooks.sender", "from tilework.api import app", False, True),
        ("tilework.runtime", "from tilework.api.app import create_app", False, False),
        ("tilework.cli.serve", "from tilework.api.app import create_app", False, False),
        ("tilework.web.routes.runs", "from tilework.api.deps import SessionDep", False, False),
        ("tilework.api.app", "from tilework import web", False, False),
        ("tilework.engine.service", "from tilework.web import auth", False, True),
        ("tilework.api.runs", "from tilework.web.auth import WebUser", False, True),
    ],
)
def test_rules_on_examples(module: str, source: str, is_package: bool, bad: bool) -> None:
    imports = list(imported_names(source, module, is_package))
    assert bool(violations(module, imports)) is bad, imports
