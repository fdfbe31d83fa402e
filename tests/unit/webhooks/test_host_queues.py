"""HostQueues: a host's requests beyond its cap wait, in order, and start as earlier ones end."""

from __future__ import annotations

from datetime import UTC, datetime

from tilework.webhooks.delivery import Delivery, HostQueues


def delivery(n: int, host: str) -> Delivery:
    return Delivery(
        f"e{n}", n, f"http://{host}/", b"{}", (), None, datetime(2026, 1, 1, tzinfo=UTC),
        run_id=f"r{n}", host=host,
    )  # fmt: skip


def test_a_host_has_at_most_its_cap_open_and_the_rest_start_in_lease_order() -> None:
    started: list[str] = []
    queues = HostQueues(2, lambda d: started.append(d.event_id))
    for n in range(5):
        queues.add(delivery(n, "slow:80"))
    queues.add(delivery(9, "fast:80"))
    assert started == ["e0", "e1", "e9"]  # the other host is not held up by the slow one
    queues.done("slow:80")
    assert started[-1] == "e2"
    queues.done("slow:80")
    queues.done("slow:80")
    assert started[-2:] == ["e3", "e4"]


def test_slots_free_when_nothing_waits() -> None:
    started: list[str] = []
    queues = HostQueues(1, lambda d: started.append(d.event_id))
    queues.add(delivery(0, "h:80"))
    queues.done("h:80")
    queues.add(delivery(1, "h:80"))  # the slot is free again: starts at once
    assert started == ["e0", "e1"]
