"""The run engine: compiles an agent into a run graph, walks it item by item, keeps statuses.

Flow: ``service`` (start/cancel/resume, called by the API) → ``dispatcher`` jobs → ``executor``
(runs a tile on one item, stores results, fans out downstream) → ``events`` (outbox rows).
"""
