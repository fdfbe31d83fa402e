"""The state of a followed run, built from the SSE events, ``/nodes`` and ``/progress``.

Pure bookkeeping (no I/O, no rendering) so it can be tested with plain dicts. Rows are keyed by
the template node id (``original_node_id``), which is what webhook events carry; runtime node
ids seen in ``/nodes`` are remembered as aliases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RUN_TERMINAL = frozenset({"completed", "partial_complete", "failed", "cancelled"})
NODE_DONE = frozenset({"completed", "partial_complete"})
_PERCENT_KEYS = ("percent", "progress_percent", "percent_complete")
_NODE_LIST_KEYS = ("nodes", "tiles", "node_progress")


@dataclass
class NodeRow:
    key: str
    label: str
    status: str = "not_started"
    percent: float | None = None
    eta_seconds: float | None = None
    message: str | None = None

    @property
    def shown_percent(self) -> float | None:
        """0-100 for the bar, or ``None`` while running with no measured progress."""
        if self.status in NODE_DONE:
            return 100.0
        if self.percent is not None:
            return max(0.0, min(100.0, self.percent))
        return None if self.status == "running" else 0.0


@dataclass
class RunBoard:
    rows: dict[str, NodeRow] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    status: str = "running"
    counts: dict[str, int] = field(default_factory=dict)
    finished: dict[str, Any] | None = None

    @property
    def done(self) -> bool:
        return self.finished is not None or self.status in RUN_TERMINAL

    def add_nodes(self, nodes: list[dict[str, Any]]) -> None:
        """Learn rows (labels, statuses) from ``GET /agent_run/{id}/nodes``."""
        for node in nodes:
            runtime_id = str(node.get("agent_node_id") or "")
            key = str(node.get("original_node_id") or runtime_id)
            if runtime_id:
                self.aliases[runtime_id] = key
            row = self._row(key, _label(node))
            row.status = str(node.get("status") or row.status)
            row.message = node.get("status_message") or row.message

    def apply_event(self, payload: dict[str, Any]) -> None:
        """Fold one RUN_STARTED / RUN_PROGRESS / RUN_FINISHED payload into the board."""
        self.status = str(payload.get("status") or self.status)
        if isinstance(payload.get("node_status_counts"), dict):
            self.counts = dict(payload["node_status_counts"])
        for update in payload.get("updated_nodes") or []:
            row = self._row(str(update.get("original_node_id") or "unknown"))
            row.status = str(update.get("status") or row.status)
            row.message = update.get("status_message") or (update.get("errors") or [None])[0]
        # A resumed run replays its older RUN_FINISHED first: a later event reopens the board.
        self.finished = payload if payload.get("flag") == "RUN_FINISHED" else None

    def apply_progress(self, progress: dict[str, Any]) -> None:
        """Fold ``GET /agent_run/{id}/progress`` ([ext] per-node ``percent``/``eta_seconds``)."""
        if isinstance(progress.get("node_status_counts"), dict):
            self.counts = dict(progress["node_status_counts"])
        self.status = str(progress.get("status") or self.status)
        for entry in _node_entries(progress):
            node_id = entry.get("original_node_id") or entry.get("agent_node_id")
            if not node_id:
                continue
            row = self.rows.get(self.aliases.get(str(node_id), str(node_id)))
            if row is None:
                continue
            percent = next((entry[k] for k in _PERCENT_KEYS if entry.get(k) is not None), None)
            if isinstance(percent, (int, float)):
                row.percent = float(percent)
            eta = entry.get("eta_seconds")
            row.eta_seconds = float(eta) if isinstance(eta, (int, float)) else None
            if entry.get("status"):
                row.status = str(entry["status"])

    def overall_percent(self) -> float:
        if self.done:
            return 100.0
        total = sum(self.counts.get(k, 0) for k in ("completed", "in_progress", "failed"))
        if total:
            return 100.0 * (self.counts.get("completed", 0) + self.counts.get("failed", 0)) / total
        if not self.rows:
            return 0.0
        return sum(row.shown_percent or 0.0 for row in self.rows.values()) / len(self.rows)

    def _row(self, key: str, label: str | None = None) -> NodeRow:
        key = self.aliases.get(key, key)
        row = self.rows.get(key)
        if row is None:
            row = NodeRow(key=key, label=self._unique_label(label or f"node {key[:8]}"))
            self.rows[key] = row
        return row

    def _unique_label(self, label: str) -> str:
        taken = {row.label for row in self.rows.values()}
        candidate, counter = label, 2
        while candidate in taken:
            candidate, counter = f"{label} #{counter}", counter + 1
        return candidate


def _label(node: dict[str, Any]) -> str | None:
    node_type = node.get("node_type")
    if isinstance(node_type, dict) and node_type.get("node_type_name"):
        return str(node_type["node_type_name"])
    return None


def _node_entries(progress: dict[str, Any]) -> list[dict[str, Any]]:
    for key in _NODE_LIST_KEYS:
        entries = progress.get(key)
        if isinstance(entries, list):
            return [entry for entry in entries if isinstance(entry, dict)]
    return []
