"""The route table of scopes: what an API key must hold to call each authenticated route.

Authentication (``api.auth``) looks the matched route up here, so routers need no per-route
annotation and the OpenAPI document shows each operation's scope (``api.openapi``). A route that
authenticates but is missing from the table needs a full-access key (fail closed) and makes
``tests/integration/api/test_scopes.py`` fail until it is listed. ``()`` means any valid key.
"""

from __future__ import annotations

from tilework.orgs.scopes import ALL_SCOPES

Needs = tuple[str, ...]

ANY_KEY: Needs = ()
FULL_ACCESS: Needs = ALL_SCOPES  # managing keys: a key may never mint one stronger than itself

_READ_AGENTS: Needs = ("agents:read",)
_WRITE_AGENTS: Needs = ("agents:write",)
_READ_RUNS: Needs = ("agent_runs:read",)
_WRITE_RUNS: Needs = ("agent_runs:write",)
_READ_TRIGGERS: Needs = ("triggers:read",)
_WRITE_TRIGGERS: Needs = ("triggers:write",)
_READ_BILLING: Needs = ("billing:read",)
_WRITE_BILLING: Needs = ("billing:write",)
_READ_WEBHOOKS: Needs = ("webhooks:read",)
_WRITE_WEBHOOKS: Needs = ("webhooks:write",)

ROUTE_SCOPES: dict[tuple[str, str], Needs] = {
    ("GET", "/whoami"): ANY_KEY,
    # API keys
    ("GET", "/api_keys"): FULL_ACCESS,
    ("POST", "/api_keys"): FULL_ACCESS,
    ("POST", "/api_keys/{key_id}/revoke"): FULL_ACCESS,
    ("POST", "/api_keys/{key_id}/rotate"): FULL_ACCESS,
    # agents and the tile catalogue
    ("GET", "/agents"): _READ_AGENTS,
    ("GET", "/agent/{agent_id}"): _READ_AGENTS,
    ("GET", "/node_types"): _READ_AGENTS,
    ("GET", "/node_type/{node_type_id}"): _READ_AGENTS,
    ("GET", "/agent_nodes/{agent_node_id}"): _READ_AGENTS,
    ("POST", "/agent/create"): _WRITE_AGENTS,
    ("POST", "/agent/{agent_id}/update"): _WRITE_AGENTS,
    ("PATCH", "/agent/{agent_id}/update"): _WRITE_AGENTS,
    ("POST", "/agent/{agent_id}/duplicate"): _WRITE_AGENTS,
    ("POST", "/agent/{agent_id}/delete"): _WRITE_AGENTS,
    ("DELETE", "/agent/{agent_id}/delete"): _WRITE_AGENTS,
    ("GET", "/agent/{agent_id}/share"): _READ_AGENTS,
    ("POST", "/agent/{agent_id}/share"): _WRITE_AGENTS,
    ("DELETE", "/agent/{agent_id}/share"): _WRITE_AGENTS,
    # runs and their inputs (an upload is a run's input)
    ("POST", "/uploads/{kind}/get_upload_url"): _WRITE_RUNS,
    ("POST", "/uploads/{kind}/finalize_upload"): _WRITE_RUNS,
    ("POST", "/agent/{agent_id}/run"): _WRITE_RUNS,
    ("POST", "/agent_run/{run_id}/cancel"): _WRITE_RUNS,
    ("POST", "/agent_run/{run_id}/resume"): _WRITE_RUNS,
    ("GET", "/agent_run/{run_id}"): _READ_RUNS,
    ("GET", "/agent_run/{run_id}/nodes"): _READ_RUNS,
    ("GET", "/agent_run/{run_id}/progress"): _READ_RUNS,
    ("GET", "/agent_run/{run_id}/events"): _READ_RUNS,
    ("GET", "/agent/{agent_id}/runs"): _READ_RUNS,
    ("GET", "/agent_runs"): _READ_RUNS,
    ("GET", "/trigger/{trigger_id}/runs"): _READ_RUNS,
    # triggers
    ("GET", "/agent/{agent_id}/triggers"): _READ_TRIGGERS,
    ("GET", "/trigger/{trigger_id}"): _READ_TRIGGERS,
    ("GET", "/trigger/{trigger_id}/events"): _READ_TRIGGERS,
    ("POST", "/agent/{agent_id}/triggers/add_youtube_channels"): _WRITE_TRIGGERS,
    ("POST", "/agent/{agent_id}/triggers/remove_youtube_channels"): _WRITE_TRIGGERS,
    ("POST", "/agent/{agent_id}/triggers/add_schedule"): _WRITE_TRIGGERS,
    ("POST", "/trigger/{trigger_id}/delete"): _WRITE_TRIGGERS,
    ("DELETE", "/trigger/{trigger_id}/delete"): _WRITE_TRIGGERS,
    ("POST", "/trigger/{trigger_id}/fire"): _WRITE_TRIGGERS,
    # webhooks
    ("GET", "/agent_run/{run_id}/webhooks"): _READ_WEBHOOKS,
    ("GET", "/webhooks/settings"): _READ_WEBHOOKS,
    ("PUT", "/webhooks/settings"): _WRITE_WEBHOOKS,
    ("POST", "/webhooks/settings/rotate"): _WRITE_WEBHOOKS,
    ("POST", "/webhooks/test"): _WRITE_WEBHOOKS,
    ("POST", "/webhook_events/{event_id}/redeliver"): _WRITE_WEBHOOKS,
    # plans and credits
    ("GET", "/plan"): _READ_BILLING,
    ("GET", "/plan/list"): _READ_BILLING,
    ("GET", "/credits"): _READ_BILLING,
    ("GET", "/credits/usage"): _READ_BILLING,
    ("GET", "/credits/ledger"): _READ_BILLING,
    ("POST", "/agent/{agent_id}/estimate"): _READ_BILLING,  # reads prices, changes nothing
    ("POST", "/plan/upgrade"): _WRITE_BILLING,
    ("POST", "/credits/settings"): _WRITE_BILLING,
}

# Routes that start runs also draw on the (smaller) run-start rate-limit bucket.
RUN_STARTS: frozenset[tuple[str, str]] = frozenset(
    {("POST", "/agent/{agent_id}/run"), ("POST", "/trigger/{trigger_id}/fire")}
)


def required_scopes(method: str, path: str) -> Needs:
    """What ``method path`` (the route's template) needs; unlisted routes need full access."""
    method = "GET" if method == "HEAD" else method
    return ROUTE_SCOPES.get((method, path), FULL_ACCESS)
