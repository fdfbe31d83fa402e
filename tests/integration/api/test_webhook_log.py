"""``GET /agent_run/{run_id}/webhooks`` and ``POST /webhook_events/{event_id}/redeliver``."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from tests.integration.api.conftest import Api
from tests.integration.webhooks.rows import add_events
from tests.support.receiver import Receiver
from tests.support.receiver import receiver as receiver  # the fixture
from tilework.db.session import unit_of_work
from tilework.db.tables import Agent, Organization, Run


def org_a_run(api: Api, callback_url: str | None) -> str:
    with unit_of_work(api.runtime.sessions) as session:
        org = session.scalars(select(Organization).where(Organization.name == "Org A")).one()
        agent = Agent(organization_id=org.id, name="agent")
        session.add(agent)
        session.flush()
        run = Run(organization_id=org.id, agent_id=agent.id, callback_url=callback_url)
        session.add(run)
        session.flush()
        return run.id


def test_lists_a_runs_events_with_their_attempts_and_redelivers_one(
    make_api: Callable[..., Api], receiver: Receiver
) -> None:
    api = make_api(allow_private_urls=True)
    sender = api.runtime.webhooks  # not started in API tests: passes are driven by hand
    try:
        run = org_a_run(api, receiver.url)
        first, second = add_events(api.runtime.sessions, run, [1, 2], callback_url=receiver.url)
        receiver.respond_with(500)
        receiver.response_body = b'{"ok": false}'
        sender.deliver_due_once()  # seq 1 fails; seq 2 waits behind it

        body = api.get(f"/agent_run/{run}/webhooks").json()
        assert body["run_id"] == run
        assert [(e["id"], e["seq"], e["delivery_status"]) for e in body["events"]] == [
            (first, 1, "pending"),
            (second, 2, "pending"),
        ]
        (attempt,) = body["events"][0]["attempts"]
        assert attempt["attempt"] == 1
        assert (attempt["url"], attempt["status_code"], attempt["error"]) == (
            receiver.url,
            500,
            "HTTP 500",
        )
        assert attempt["response_excerpt"] == '{"ok": false}'
        assert isinstance(attempt["latency_ms"], int) and attempt["started_at"]
        assert body["events"][0]["next_attempt_at"] is not None
        assert body["events"][1]["attempts"] == []
        assert set(body["events"][0]) == {
            "id",
            "seq",
            "flag",
            "created_at",
            "callback_url",
            "delivery_status",
            "attempts",
            "next_attempt_at",
            "delivered_at",
        }
        assert api.get(f"/agent_run/{run}/webhooks", key=api.other_key).status_code == 404

        answer = api.post(f"/webhook_events/{first}/redeliver")
        assert answer.status_code == 200
        assert answer.json() == {"success": True, "event_id": first, "delivery_status": "pending"}
        sender.deliver_due_once()
        sender.deliver_due_once()
        assert [r.headers["webhook-id"] for r in receiver.requests] == [first, first, second]

        answer = api.post(f"/webhook_events/{second}/redeliver")  # delivered: sent once more
        assert answer.json()["delivery_status"] == "pending"
        sender.deliver_due_once()
        assert [r.headers["webhook-id"] for r in receiver.requests][-1] == second
        events = api.get(f"/agent_run/{run}/webhooks").json()["events"]
        assert [[a["attempt"] for a in e["attempts"]] for e in events] == [[1, 2], [1, 2]]
        assert [e["delivery_status"] for e in events] == ["delivered", "delivered"]
    finally:
        sender.stop()


def test_redelivery_is_refused_for_a_foreign_event_and_without_a_callback_url(
    make_api: Callable[..., Api],
) -> None:
    api = make_api()
    run = org_a_run(api, None)
    (event_id,) = add_events(api.runtime.sessions, run, [1], callback_url=None)
    foreign = api.post(f"/webhook_events/{event_id}/redeliver", key=api.other_key)
    assert (foreign.status_code, foreign.json()["error"]) == (404, "not_found")
    assert api.post("/webhook_events/no-such-event/redeliver").status_code == 404
    stream_only = api.post(f"/webhook_events/{event_id}/redeliver")
    assert (stream_only.status_code, stream_only.json()["error"]) == (409, "conflict")
