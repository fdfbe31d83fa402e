"""Run lifecycle events on the wire: payload models, the outbox sender and the SSE stream.

``events`` holds one pydantic model per webhook event (the contract of
``shared/spec/webhooks.md``); ``sender`` delivers outbox rows (``WebhookEvent``) to callback
URLs; ``stream`` replays and follows the same rows for ``GET /agent_run/{run_id}/events``.
"""
