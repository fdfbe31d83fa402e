"""Delivery metrics for Prometheus: attempts by outcome and their latency.

The registry belongs to the runtime (no module-level globals), and ``GET /metrics`` renders it.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0)


class DeliveryMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.attempts = Counter(
            "tilework_webhook_attempts",
            "Webhook delivery attempts by outcome (delivered, retrying, failed, gone).",
            ["outcome"],
            registry=registry,
        )
        self.latency = Histogram(
            "tilework_webhook_attempt_latency_seconds",
            "Time from sending a webhook request to its answer (or error).",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.commit_to_delivery = Histogram(
            "tilework_webhook_commit_to_delivery_seconds",
            "Time from the event's commit to its successful delivery.",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )

    def attempt(self, outcome: str, latency_s: float) -> None:
        self.attempts.labels(outcome=outcome).inc()
        self.latency.observe(latency_s)

    def delivered(self, since_commit_s: float) -> None:
        self.commit_to_delivery.observe(max(0.0, since_commit_s))
