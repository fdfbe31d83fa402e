"""Node parameter forms from tiles' JSON Schemas, and the params read back from a submitted form."""

from __future__ import annotations

from typing import Any

import pytest

from tilework.errors import ValidationError
from tilework.tiles.registry import default_registry
from tilework.web.forms import fields_for, params_from_form

TILES = {tile.slug: tile for tile in default_registry().all()}


def schema(slug: str) -> dict[str, Any]:
    return TILES[slug].params_schema()


def test_every_shipped_tile_gets_a_control_per_parameter() -> None:
    for slug, tile in TILES.items():
        fields = fields_for(tile.params_schema(), {})
        assert [f.name for f in fields] == list(tile.params_schema().get("properties", {})), slug
        assert all(f.kind != "json" for f in fields), slug  # no tile needs the JSON fallback


def test_controls_follow_the_schema() -> None:
    render = {f.name: f for f in fields_for(schema("render"), {"crf": 20})}
    assert render["quality"].kind == "select" and render["quality"].value == "medium"
    assert render["quality"].options == ["low", "medium", "high"]
    assert (render["crf"].kind, render["crf"].value, render["crf"].nullable) == (
        "integer",
        "20",
        True,
    )
    assert (render["crf"].minimum, render["crf"].maximum, render["crf"].step) == (0, 63, "1")
    assert render["fps"].placeholder == "empty"
    overlay = {f.name: f for f in fields_for(schema("overlay"), {})}
    assert overlay["image_id"].required and overlay["image_id"].kind == "text"
    intro = {f.name: f for f in fields_for(schema("intro-outro"), {"intro_video_ids": ["a", "b"]})}
    assert (intro["intro_video_ids"].kind, intro["intro_video_ids"].value) == ("lines", "a\nb")
    thumb = {f.name: f for f in fields_for(schema("thumbnail"), {})}
    assert thumb["prefer_faces"].kind == "checkbox" and thumb["prefer_faces"].value is True


def test_reading_a_form_back() -> None:
    form = {
        "start_seconds": ["0.5"],
        "end_seconds": [""],  # nullable: empty means null
    }
    assert params_from_form(schema("trim"), form, {}) == {"start_seconds": 0.5}
    assert params_from_form(schema("trim"), form, {"end_seconds": 3}) == {
        "start_seconds": 0.5,
        "end_seconds": None,
    }
    same = {"start_seconds": ["0"], "end_seconds": ["2.5"]}
    assert params_from_form(schema("trim"), same, {}) == {"end_seconds": 2.5}  # defaults left out
    assert params_from_form(schema("trim"), same, {"start_seconds": 1}) == {
        "start_seconds": 0.0,  # set before: written back even at its default
        "end_seconds": 2.5,
    }
    thumb = params_from_form(schema("thumbnail"), {"prefer_faces": ["false"]}, {})
    assert thumb["prefer_faces"] is False
    checked = params_from_form(schema("thumbnail"), {"prefer_faces": ["false", "true"]}, {})
    assert "prefer_faces" not in checked  # true is the default
    clips = params_from_form(schema("clips"), {"num_clips": ["three"]}, {})
    assert clips["num_clips"] == "three"  # the tile's model says what is wrong, in API words
    lines = params_from_form(schema("intro-outro"), {"intro_video_ids": ["a\n\n b \n"]}, {})
    assert lines["intro_video_ids"] == ["a", "b"]


def test_json_fallback_for_richer_parameters() -> None:
    rich = {"properties": {"mapping": {"type": "object"}}}
    (field,) = fields_for(rich, {"mapping": {"a": 1}})
    assert field.kind == "json" and '"a": 1' in field.value
    assert params_from_form(rich, {"mapping": ['{"b": 2}']}, {}) == {"mapping": {"b": 2}}
    with pytest.raises(ValidationError, match="mapping: not valid JSON"):
        params_from_form(rich, {"mapping": ["{"]}, {})
