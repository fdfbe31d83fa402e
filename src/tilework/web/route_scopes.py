"""The dashboard's route table: each page or action, and the API operation(s) it mirrors.

A dashboard session may do what its API key may do through the API, no more. So each route
(method + path template) that needs a session names the API operations it does the work of, and
needs their scopes as ``tilework.api.route_scopes`` lists them (a page that reads two things needs
both). ``web.auth.require_user`` checks it on every request of a session, and a route that
starts runs draws on the API's run-start rate limit too. Templates ask ``WebUser.may`` before
they offer a link, button or form, so a person is not sent into a refusal.

A route that needs a session but is missing here needs a full-access key (fail closed) and makes
``tests/integration/web/test_scopes.py`` fail until it is listed. ``SESSION_ONLY``: any session.
"""

from __future__ import annotations

from tilework.api import route_scopes as api

ApiRoute = tuple[str, str]

SESSION_ONLY: tuple[ApiRoute, ...] = ()

WEB_ROUTES: dict[tuple[str, str], tuple[ApiRoute, ...]] = {
    ("POST", "/app/sign-out"): SESSION_ONLY,
    # agents
    ("GET", "/app/agents"): (("GET", "/agents"),),
    ("POST", "/app/agents/import"): (("POST", "/agent/create"),),
    ("GET", "/app/agents/{agent_id}"): (("GET", "/agent/{agent_id}"),),
    ("GET", "/app/agents/{agent_id}/graph"): (("GET", "/agent/{agent_id}"),),
    ("GET", "/app/agents/{agent_id}/export.yaml"): (("GET", "/agent/{agent_id}"),),
    ("POST", "/app/agents/{agent_id}/nodes/{node_id}"): (("POST", "/agent/{agent_id}/update"),),
    ("POST", "/app/agents/{agent_id}/run"): (("POST", "/agent/{agent_id}/run"),),
    ("POST", "/app/agents/{agent_id}/share"): (("POST", "/agent/{agent_id}/share"),),
    ("POST", "/app/agents/{agent_id}/unshare"): (("DELETE", "/agent/{agent_id}/share"),),
    # runs, their inputs and their webhooks
    ("GET", "/app/runs"): (("GET", "/agent_runs"),),
    ("GET", "/app/runs/{run_id}"): (("GET", "/agent_run/{run_id}"),),
    ("GET", "/app/runs/{run_id}/state"): (("GET", "/agent_run/{run_id}/progress"),),
    ("GET", "/app/runs/{run_id}/events"): (("GET", "/agent_run/{run_id}/events"),),
    ("POST", "/app/runs/{run_id}/cancel"): (("POST", "/agent_run/{run_id}/cancel"),),
    ("POST", "/app/runs/{run_id}/resume"): (("POST", "/agent_run/{run_id}/resume"),),
    ("POST", "/app/uploads/video"): (("POST", "/uploads/{kind}/get_upload_url"),),
    ("GET", "/app/runs/{run_id}/webhooks"): (("GET", "/agent_run/{run_id}/webhooks"),),
    ("POST", "/app/webhook-events/{event_id}/redeliver"): (
        ("POST", "/webhook_events/{event_id}/redeliver"),
    ),
    # plans and credits
    ("GET", "/app/credits"): (("GET", "/credits"), ("GET", "/credits/usage"), ("GET", "/plan")),
    ("POST", "/app/plan"): (("POST", "/plan/upgrade"),),
    ("POST", "/app/credits/auto-topup"): (("POST", "/credits/settings"),),
    # triggers (listed by agent: the page reads the agents, then each one's triggers)
    ("GET", "/app/triggers"): (("GET", "/agents"), ("GET", "/agent/{agent_id}/triggers")),
    ("POST", "/app/triggers/schedule"): (("POST", "/agent/{agent_id}/triggers/add_schedule"),),
    ("POST", "/app/triggers/youtube"): (
        ("POST", "/agent/{agent_id}/triggers/add_youtube_channels"),
    ),
    ("POST", "/app/triggers/{trigger_id}/fire"): (("POST", "/trigger/{trigger_id}/fire"),),
    ("POST", "/app/triggers/{trigger_id}/remove"): (("POST", "/trigger/{trigger_id}/delete"),),
}


def mirrored(method: str, path: str) -> tuple[ApiRoute, ...] | None:
    """The API operations ``method path`` mirrors; ``None`` for a route not in the table."""
    return WEB_ROUTES.get(("GET" if method == "HEAD" else method, path))


def required_scopes(method: str, path: str) -> api.Needs:
    """What a session's key must hold for ``method path``; unlisted routes need full access."""
    operations = mirrored(method, path)
    if operations is None:
        return api.FULL_ACCESS
    needed: list[str] = []
    for operation in operations:
        needed += [scope for scope in api.ROUTE_SCOPES[operation] if scope not in needed]
    return tuple(needed)


def rate_limit_route(method: str, path: str) -> tuple[str, str]:
    """The route whose buckets a request draws on: the API's run start, if it mirrors one."""
    for operation in mirrored(method, path) or ():
        if operation in api.RUN_STARTS:
            return operation
    return method, path
