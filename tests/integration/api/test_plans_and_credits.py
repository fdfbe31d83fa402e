"""Plans and credits over real HTTP: the shapes of api.md, the approval checkout page, bad input
that changes nothing, and a run refused up front (402) when the first node cannot be paid for."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.integration.api.conftest import Api
from tests.integration.api.test_agents import assert_error
from tests.integration.api.test_uploads import finalize, post_form, reserve
from tilework.db.session import unit_of_work

AGENT = {
    "name": "trim and render",
    "graph": {
        "nodes": [
            {"temp_ref_id": "in", "node_type_id": "video-input"},
            {"temp_ref_id": "trim", "node_type_id": "trim"},
            {"temp_ref_id": "out", "node_type_id": "render"},
        ],
        "connections": [
            {"source_temp_ref_id": "in", "target_temp_ref_id": "trim"},
            {"source_temp_ref_id": "trim", "target_temp_ref_id": "out"},
        ],
    },
}


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def snapshot(api: Api) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Everything a refused request must leave unchanged."""
    return ok(api.get("/plan")), ok(api.get("/credits")), ok(api.get("/credits/ledger"))


def test_plan_and_credit_shapes_and_an_immediate_upgrade(api: Api) -> None:
    plan = ok(api.get("/plan"))
    assert set(plan) == {"organization_id", "plan", "scheduled_plan", "credits"}
    assert set(plan["plan"]) == {
        "id",
        "family",
        "status",
        "started_at",
        "current_period_start",
        "current_period_end",
        "canceled_at",
    }
    assert (plan["plan"]["id"], plan["plan"]["family"], plan["plan"]["status"]) == (
        "free",
        "free",
        "active",
    )
    assert plan["credits"] == {
        "balance": 300,
        "usage": 0,
        "included_usage": 300,
        "unlimited": False,
    }

    plans = ok(api.get("/plan/list"))["plans"]
    assert [p["id"] for p in plans][1:] == [
        "creator",
        "creator_annual",
        "professional",
        "professional_annual",
    ]
    assert {tuple(sorted(p)) for p in plans} == {
        (
            "billing",
            "credits_per_month",
            "id",
            "notes",
            "price_usd",
            "top_up_rate_per_100_credits_usd",
        )
    }

    credits = ok(api.get("/credits"))
    assert credits["plan"] is None and credits["plan_id"] == "free"
    assert credits["balance"] == 300 and credits["reserved"] == 0
    assert set(credits["billing_cycle"]) == {"current_period_start", "current_period_end"}
    assert credits["auto_topup"] == {
        "eligible": False,
        "enabled": False,
        "threshold": 0,
        "quantity": 0,
    }
    assert_error(
        api.post(
            "/credits/settings",
            json={"auto_topup": {"enabled": True, "threshold": 10, "quantity": 100}},
        ),
        403,
        "forbidden",
    )

    upgraded = ok(api.post("/plan/upgrade", json={"plan_id": "professional_annual"}))
    assert upgraded["requires_checkout"] is False and upgraded["success"] is True
    assert upgraded["plan"]["id"] == "professional_annual"
    credits = ok(api.get("/credits"))
    assert (credits["plan"], credits["plan_id"], credits["balance"]) == (
        "professional",
        "professional_annual",
        10300,
    )
    settings = ok(
        api.post(
            "/credits/settings",
            json={"auto_topup": {"enabled": True, "threshold": 200, "quantity": 1000}},
        )
    )
    assert settings["auto_topup"] == {
        "eligible": True,
        "enabled": True,
        "threshold": 200,
        "quantity": 1000,
    }
    kinds = [e["kind"] for e in ok(api.get("/credits/ledger"))["entries"]]
    assert kinds == ["allowance", "allowance"]  # newest first: the upgrade's, then the free one
    other = ok(api.get("/plan", key=api.other_key))  # the other organization saw nothing
    assert other["plan"]["id"] == "free" and other["credits"]["balance"] == 300


BAD_INPUT: list[tuple[str, dict[str, Any]]] = [
    ("/plan/upgrade", {"plan_id": "platinum"}),
    ("/plan/upgrade", {"plan_id": ""}),
    ("/plan/upgrade", {}),
    ("/plan/upgrade", {"plan_id": "creator", "success_url": "javascript:alert(1)"}),
    ("/plan/upgrade", {"plan_id": "creator", "coupon": "FREE"}),
    ("/credits/settings", {"auto_topup": {"enabled": True, "threshold": -1, "quantity": 5}}),
    ("/credits/settings", {"auto_topup": {"enabled": True, "threshold": 5, "quantity": -3}}),
    ("/credits/settings", {"auto_topup": {"enabled": True, "threshold": 5, "quantity": 1_000_001}}),
    ("/credits/settings", {"auto_topup": {"enabled": True, "threshold": 10**30, "quantity": 5}}),
    ("/credits/settings", {"auto_topup": {"enabled": True, "threshold": 5, "quantity": 0}}),
    ("/credits/settings", {"auto_topup": {"enabled": True, "threshold": 5.5, "quantity": 5}}),
    ("/credits/settings", {"auto_topup": {"enabled": "yes", "threshold": 5, "quantity": 5}}),
    ("/credits/settings", {"auto_topup": {"enabled": True, "threshold": 5}}),
    ("/credits/settings", {"enabled": True, "threshold": 5, "quantity": 5}),
]


def test_bad_input_is_a_clear_400_and_changes_nothing(api: Api) -> None:
    ok(api.post("/plan/upgrade", json={"plan_id": "creator"}))  # eligible for top-ups
    before = snapshot(api)
    for url, body in BAD_INPUT:
        response = api.post(url, json=body)
        assert_error(response, 400, "validation_error")
        assert response.json()["detail"], (url, body)
        assert snapshot(api) == before, (url, body)
    unknown = api.post("/plan/upgrade", json={"plan_id": "platinum"}).json()["detail"]
    assert "unknown plan 'platinum'" in unknown and "creator_annual" in unknown


def test_usage_and_ledger_queries_are_validated(api: Api) -> None:
    usage = ok(
        api.get("/credits/usage", params={"start_date": "2020-01-01", "end_date": "2020-01-31"})
    )
    assert usage["total_credits"] == 0 and usage["by_tile"] == [] and usage["by_date"] == []
    assert usage["date_range"]["end_date"].startswith("2020-02-01")  # the end day is included
    for params in (
        {"start_date": "yesterday"},
        {"start_date": "2020-02-01", "end_date": "2020-01-01"},
        {"limit": 0},
        {"limit": 10_001},
    ):
        assert_error(api.get("/credits/usage", params=params), 400, "validation_error")
    assert_error(api.get("/credits/ledger", params={"cursor": "abc"}), 400, "validation_error")
    assert_error(api.get("/credits/ledger", params={"limit": 101}), 400, "validation_error")


def test_approval_checkout_changes_the_plan_only_when_approved(
    make_api: Callable[..., Api],
) -> None:
    api = make_api(checkout_provider="approval")
    started = ok(api.post("/plan/upgrade", json={"plan_id": "creator"}))
    assert started["requires_checkout"] is True
    url = urlsplit(started["checkout_url"])
    assert url.path == f"/checkout/{started['checkout_id']}"
    assert ok(api.get("/plan"))["plan"]["id"] == "free"  # nothing yet

    page = api.client.get(f"{url.path}?{url.query}")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "creator" in page.text and "50 USD" in page.text
    fields = dict(re.findall(r'name="(expires|signature)" value="([^"]+)"', page.text))
    assert set(fields) == {"expires", "signature"}
    tampered = {**fields, "signature": "0" * 64}
    assert_error(api.client.post(f"{url.path}/approve", data=tampered), 403, "forbidden")
    assert_error(api.client.get(url.path), 403, "forbidden")  # no token, no page

    declined = api.client.post(f"{url.path}/decline", data=fields)
    assert declined.status_code == 200 and "declined" in declined.text
    assert ok(api.get("/plan"))["plan"]["id"] == "free"
    assert_error(api.client.post(f"{url.path}/approve", data=fields), 409, "conflict")

    again = ok(
        api.post(
            "/plan/upgrade",
            json={"plan_id": "creator", "success_url": "https://example.com/paid"},
        )
    )
    url = urlsplit(again["checkout_url"])
    fields = dict(
        re.findall(
            r'name="(expires|signature)" value="([^"]+)"',
            api.client.get(f"{url.path}?{url.query}").text,
        )
    )
    approved = api.client.post(f"{url.path}/approve", data=fields, follow_redirects=False)
    assert approved.status_code == 303
    assert approved.headers["location"] == "https://example.com/paid"
    plan = ok(api.get("/plan"))
    assert plan["plan"]["id"] == "creator" and plan["credits"]["balance"] == 2800
    assert_error(api.client.post(f"{url.path}/approve", data=fields), 409, "conflict")
    assert ok(api.get("/plan"))["credits"]["balance"] == 2800  # approved once, granted once


def test_run_is_refused_up_front_when_the_first_node_cannot_be_paid(
    make_api: Callable[..., Api], sample_mp4: Path
) -> None:
    api = make_api(billing_plans={"free": {"credits_per_month": 0}})
    ticket = reserve(api)
    assert post_form(api, ticket, sample_mp4.read_bytes()).status_code == 204
    assert finalize(api, "video", ticket["video_id"]).status_code == 200
    agent_id = ok(api.post("/agent/create", json=AGENT))["agent"]["id"]
    body = {"video_ids": [ticket["video_id"]]}

    estimate = ok(api.post(f"/agent/{agent_id}/estimate", json=body))
    assert estimate["estimated_credits"] == 2  # trim 1 + render 1 for a one-second clip
    assert estimate["first_node_credits"] == 1
    assert (estimate["balance"], estimate["can_start"], estimate["sufficient"]) == (0, False, False)
    assert {n["tile"]: n["credits"] for n in estimate["nodes"]} == {"Trim": 1, "Render": 1}

    refused = api.post(f"/agent/{agent_id}/run", json=body)
    assert_error(refused, 402, "insufficient_credits")
    assert "costs 1 credits" in refused.json()["detail"]
    assert ok(api.get("/agent_runs"))["runs"] == []

    # One credit is enough to start (the render then waits for credits inside the run).
    with unit_of_work(api.runtime.sessions) as session:
        api.runtime.billing.grant(session, ok(api.get("/whoami"))["organization_id"], 1)
    assert ok(api.post(f"/agent/{agent_id}/estimate", json=body))["can_start"] is True
    assert "run_id" in ok(api.post(f"/agent/{agent_id}/run", json=body))
