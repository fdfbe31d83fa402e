"""The reuse key: the same tile, code, environment, parameters and input of the same
organization is the same key; anything else is another."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tilework.config import Settings
from tilework.engine.reuse import REUSABLE_TILES, code_fingerprint, key_of, task_key
from tilework.tiles.captions import CAPTIONS_TYPE_ID
from tilework.tiles.clips import CLIPS_TYPE_ID
from tilework.tiles.registry import default_registry
from tilework.tiles.render import RENDER_TYPE_ID
from tilework.tiles.video_input import VIDEO_INPUT_TYPE_ID

INPUT = {"OTIO_SCHEMA": "Timeline.1", "name": "talk", "tracks": {"children": []}}
BASE: dict[str, Any] = {
    "org_id": "org-a",
    "type_id": CAPTIONS_TYPE_ID,
    "code": "code-1",
    "environment": {"ffmpeg": 5},
    "params": {"highlight_color": "#FFD400", "position": "bottom"},
    "input_timeline": INPUT,
}


def key(**changes: Any) -> str:
    return task_key(**{**BASE, **changes})


def test_the_same_task_twice_is_one_key() -> None:
    assert key() == key(params={"position": "bottom", "highlight_color": "#FFD400"})  # any order
    assert len(key()) == 64


@pytest.mark.parametrize(
    "changes",
    [
        {"params": {"highlight_color": "#00E5FF", "position": "bottom"}},
        {"org_id": "org-b"},
        {"code": "code-2"},
        {"environment": {"ffmpeg": 7}},
        {"type_id": CLIPS_TYPE_ID},
        {"input_timeline": {**INPUT, "name": "other talk"}},
    ],
    ids=["a parameter", "another organization", "a code change", "another ffmpeg", "tile", "input"],
)
def test_anything_else_is_another_key(changes: dict[str, Any]) -> None:
    assert key(**changes) != key()


def settings(tmp_path: Path, **values: Any) -> Settings:
    return Settings(data_dir=tmp_path, prompt_ranking="bm25", **values)


def test_defaults_written_out_are_the_same_parameters(tmp_path: Path) -> None:
    tiles, config = default_registry(), settings(tmp_path)
    common: dict[str, Any] = {"input_timeline": INPUT, "is_leaf": False, "is_input": False}
    implicit = key_of(config, tiles, org_id="o", node_type_id=CLIPS_TYPE_ID, params={}, **common)
    explicit = key_of(
        config,
        tiles,
        org_id="o",
        node_type_id=CLIPS_TYPE_ID,
        params={"prompt": "", "num_clips": 3, "target_duration": 30.0},
        **common,
    )
    assert implicit is not None and implicit == explicit
    other = key_of(
        config, tiles, org_id="o", node_type_id=CLIPS_TYPE_ID, params={"num_clips": 4}, **common
    )
    assert other != implicit


def test_inputs_renders_leaves_and_reuse_off_have_no_key(tmp_path: Path) -> None:
    tiles = default_registry()
    on, off = settings(tmp_path), settings(tmp_path, reuse_results=False)
    assert RENDER_TYPE_ID not in REUSABLE_TILES and VIDEO_INPUT_TYPE_ID not in REUSABLE_TILES

    def key_for(config: Settings, type_id: str, *, is_leaf: bool = False) -> str | None:
        return key_of(
            config,
            tiles,
            org_id="o",
            node_type_id=type_id,
            params={},
            input_timeline=INPUT,
            is_leaf=is_leaf,
            is_input=type_id == VIDEO_INPUT_TYPE_ID,
        )

    assert key_for(on, CAPTIONS_TYPE_ID) is not None
    assert key_for(off, CAPTIONS_TYPE_ID) is None
    assert key_for(on, CAPTIONS_TYPE_ID, is_leaf=True) is None  # a leaf renders the outputs
    assert key_for(on, RENDER_TYPE_ID) is None
    assert key_for(on, VIDEO_INPUT_TYPE_ID) is None


def test_the_code_fingerprint_covers_the_package() -> None:
    assert code_fingerprint() == code_fingerprint()
    assert len(code_fingerprint()) == 64
