"""What an API key may do: Mosaic's scope names, one ``<entity>:read`` and ``<entity>:write`` each.

A key stores ``None`` for full access (every scope, including ones a later release adds) or an
explicit list ("restricted mode"). As in Mosaic, ``:write`` does not imply ``:read``: a key that
starts runs but may not read them holds ``agent_runs:write`` alone. Which scope each route needs
is the API's business (``tilework.api.route_scopes``); this module only names them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal, get_args

Scope = Literal[
    "agents:read",
    "agents:write",
    "agent_runs:read",
    "agent_runs:write",
    "triggers:read",
    "triggers:write",
    "billing:read",
    "billing:write",
    "webhooks:read",
    "webhooks:write",
]
ALL_SCOPES: tuple[Scope, ...] = get_args(Scope)


def normalize(scopes: Iterable[str] | None) -> list[Scope] | None:
    """``None`` (full access) or the distinct scopes in catalogue order; unknown names fail."""
    if scopes is None:
        return None
    wanted = set(scopes)
    unknown = sorted(wanted - set(ALL_SCOPES))
    if unknown:
        raise ValueError(f"unknown scope {', '.join(unknown)} (known: {', '.join(ALL_SCOPES)})")
    return [scope for scope in ALL_SCOPES if scope in wanted]


def granted(scopes: Sequence[str] | None) -> frozenset[str]:
    """The scopes a key holds: all of them for a full-access key."""
    return frozenset(ALL_SCOPES if scopes is None else scopes)


def missing(held: Sequence[str] | None, needed: Iterable[str]) -> list[str]:
    """The scopes of ``needed`` a key with ``held`` lacks, in ``needed``'s order."""
    have = granted(held)
    return [scope for scope in needed if scope not in have]
