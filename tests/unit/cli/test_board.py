from __future__ import annotations

from tilework.cli.board import RunBoard

NODES = [
    {
        "agent_node_id": "rt-1",
        "original_node_id": "t-1",
        "status": "completed",
        "node_type": {"node_type_name": "Video Input"},
    },
    {
        "agent_node_id": "rt-2",
        "original_node_id": "t-2",
        "status": "queued",
        "node_type": {"node_type_name": "Trim"},
    },
    {
        "agent_node_id": "rt-3",
        "original_node_id": "t-3",
        "status": "queued",
        "node_type": {"node_type_name": "Trim"},
    },
]


def board() -> RunBoard:
    result = RunBoard()
    result.add_nodes(NODES)
    return result


def test_rows_are_keyed_by_template_id_with_unique_labels() -> None:
    rows = board().rows
    assert list(rows) == ["t-1", "t-2", "t-3"]
    assert [row.label for row in rows.values()] == ["Video Input", "Trim", "Trim #2"]


def test_progress_event_updates_status_and_message() -> None:
    b = board()
    b.apply_event(
        {
            "flag": "RUN_PROGRESS",
            "status": "running",
            "node_status_counts": {"completed": 2, "in_progress": 0, "failed": 1},
            "updated_nodes": [
                {"original_node_id": "t-2", "status": "failed", "errors": ["bad cut"]}
            ],
        }
    )
    assert (b.rows["t-2"].status, b.rows["t-2"].message) == ("failed", "bad cut")
    assert b.overall_percent() == 100.0
    assert not b.done


def test_progress_answer_sets_percent_and_eta_through_runtime_ids() -> None:
    b = board()
    b.apply_progress(
        {
            "nodes": [
                {"agent_node_id": "rt-2", "status": "running", "percent": 42.5, "eta_seconds": 3}
            ]
        }
    )
    row = b.rows["t-2"]
    assert (row.status, row.shown_percent, row.eta_seconds) == ("running", 42.5, 3.0)


def test_running_without_measure_is_indeterminate() -> None:
    b = board()
    b.apply_event({"updated_nodes": [{"original_node_id": "t-3", "status": "running"}]})
    assert b.rows["t-3"].shown_percent is None
    assert b.rows["t-1"].shown_percent == 100.0


def test_unknown_node_gets_a_row() -> None:
    b = board()
    b.apply_event({"updated_nodes": [{"original_node_id": "abcdef123456", "status": "queued"}]})
    assert b.rows["abcdef123456"].label == "node abcdef12"


def test_finished_event_ends_the_board() -> None:
    b = board()
    b.apply_event({"flag": "RUN_FINISHED", "status": "partial_complete"})
    assert b.done and b.finished is not None


def test_overall_is_full_once_the_run_is_over() -> None:
    b = board()
    assert b.overall_percent() < 100.0
    b.apply_event({"flag": "RUN_FINISHED", "status": "failed"})
    assert b.overall_percent() == 100.0
