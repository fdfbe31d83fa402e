"""Caption lines and their ASS/SRT/VTT text; the style's validation (the tile's params)."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError as PydanticError

from tests.support.wer import word_error_rate
from tilework.media.captions import (
    CaptionLine,
    CaptionStyle,
    TimedWord,
    ass_color,
    ass_script,
    font_size_px,
    group_lines,
    srt_text,
    vtt_text,
)
from tilework.tiles.captions import CAPTIONS_TYPE_ID, CaptionsParams, CaptionsTile

# "Hello big world." then a pause, then "Bye now"; times in output seconds.
WORDS = [
    TimedWord("Hello", 1.00, 1.40),
    TimedWord("big", 1.50, 1.80),
    TimedWord("world.", 1.90, 2.50),
    TimedWord("Bye", 4.00, 4.30),
    TimedWord("now", 4.30, 4.80),
]


def dialogues(script: str) -> list[tuple[str, str, str]]:
    """(start, end, text) of every Dialogue line."""
    found = re.findall(r"^Dialogue: 0,([\d:.]+),([\d:.]+),Caption,,0,0,0,,(.*)$", script, re.M)
    return [(start, end, text) for start, end, text in found]


def style_fields(script: str) -> list[str]:
    (line,) = re.findall(r"^Style: (.*)$", script, re.M)
    return str(line).split(",")


def test_lines_break_after_sentences_and_long_gaps_and_split_evenly() -> None:
    lines = group_lines(WORDS, max_words=4)
    assert [line.text for line in lines] == ["Hello big world.", "Bye now"]
    assert (lines[0].start, lines[0].end) == (1.0, 2.5)
    # no sentence end, no gap: 5 words at 4 per line become 3 + 2, not 4 + 1
    flowing = [TimedWord(f"w{i}", i * 0.3, i * 0.3 + 0.25) for i in range(5)]
    assert [len(line.words) for line in group_lines(flowing, max_words=4)] == [3, 2]
    assert [len(line.words) for line in group_lines(flowing, max_words=1)] == [1] * 5
    # a gap longer than 0.8 s breaks a line; a cut always does
    gapped = [TimedWord("a", 0, 0.2), TimedWord("b", 1.1, 1.3), TimedWord("c", 1.4, 1.5, cut=1)]
    assert [line.text for line in group_lines(gapped, max_words=4)] == ["a", "b", "c"]
    # a line never runs into the next one, even when Whisper's end overruns
    overrun = [TimedWord("One.", 0.0, 2.0), TimedWord("Two", 1.5, 1.8)]
    assert group_lines(overrun, max_words=4)[0].end == 1.5
    assert group_lines([], max_words=4) == []


def test_colored_style_highlights_each_word_in_turn_without_gaps() -> None:
    style = CaptionStyle(caption_style="colored", highlight_color="#FF8000")
    script = ass_script(group_lines(WORDS, 4), style, 1280, 720)
    events = dialogues(script)
    active = "{\\1c&H0080FF&}"  # #FF8000 → BGR
    assert events[:3] == [
        ("0:00:01.00", "0:00:01.50", f"{active}Hello{{\\r}} big world."),
        ("0:00:01.50", "0:00:01.90", f"Hello {active}big{{\\r}} world."),
        ("0:00:01.90", "0:00:02.50", f"Hello big {active}world.{{\\r}}"),
    ]
    assert events[3:] == [
        ("0:00:04.00", "0:00:04.30", f"{active}Bye{{\\r}} now"),
        ("0:00:04.30", "0:00:04.80", f"Bye {active}now{{\\r}}"),
    ]
    assert "\\fscx" not in script and "\\k" not in script
    assert "PlayResX: 1280" in script and "PlayResY: 720" in script
    fields = style_fields(script)
    assert fields[1] == "DejaVu Sans" and fields[3] == "&H00FFFFFF"  # text colour: white
    assert fields[18] == "2"  # bottom centre


def test_scaling_style_grows_the_active_word() -> None:
    style = CaptionStyle(caption_style="scaling", highlight_color="yellow")
    events = dialogues(ass_script(group_lines(WORDS, 4), style, 720, 1280))
    assert len(events) == 5
    assert events[1][2] == "Hello {\\1c&H00FFFF&\\fscx125\\fscy125}big{\\r} world."
    for _, _, text in events:
        assert text.count("\\fscx125\\fscy125") == 1


def test_karaoke_style_fills_words_over_their_spoken_time() -> None:
    style = CaptionStyle(caption_style="karaoke", highlight_color="#00FF00", text_color="#808080")
    script = ass_script(group_lines(WORDS, 4), style, 1280, 720)
    events = dialogues(script)
    # one event per line; pauses before a word are empty \k syllables (centiseconds)
    assert events == [
        ("0:00:01.00", "0:00:02.50", "{\\kf40}Hello {\\k10}{\\kf30}big {\\k10}{\\kf60}world."),
        ("0:00:04.00", "0:00:04.80", "{\\kf30}Bye {\\kf50}now"),
    ]
    fields = style_fields(script)
    assert fields[3] == "&H0000FF00"  # filled (primary): the highlight colour
    assert fields[4] == "&H00808080"  # not yet filled (secondary): the text colour


def test_style_line_follows_position_stroke_font_and_frame() -> None:
    line = [CaptionLine((WORDS[0],), 1.0, 1.4)]
    top = style_fields(ass_script(line, CaptionStyle(position="top"), 1920, 1080))
    assert top[18] == "8" and top[21] == str(round(1080 * 0.08))
    middle = style_fields(ass_script(line, CaptionStyle(position="middle"), 1920, 1080))
    assert middle[18] == "5" and middle[21] == "0"
    plain = CaptionStyle(stroke_enabled=False, caption_font="Liberation Serif")
    fields = style_fields(ass_script(line, plain, 1920, 1080))
    assert fields[16] == "0" and fields[1] == "Liberation Serif"
    stroked = style_fields(ass_script(line, CaptionStyle(stroke_color="red"), 1920, 1080))
    assert int(stroked[16]) >= 1 and stroked[5] == "&H000000FF"
    # the size follows the shorter side: the same in 16:9 and 9:16 of the same resolution
    wide, tall = font_size_px(CaptionStyle(), 1920, 1080), font_size_px(CaptionStyle(), 1080, 1920)
    assert wide == tall == round(1080 * 0.07)
    assert font_size_px(CaptionStyle(font_size_percent=10), 640, 360) == 36


def test_ass_text_cannot_inject_override_tags() -> None:
    line = group_lines([TimedWord("{\\fs99}evil", 0.0, 1.0)], 4)
    events = dialogues(ass_script(line, CaptionStyle(), 320, 180))
    assert "\\fs99" not in events[0][2] and "(/fs99)evil" in events[0][2]


def test_srt_and_vtt() -> None:
    lines = group_lines([*WORDS, TimedWord("<b>&", 3725.5, 3726.0)], 4)
    assert srt_text(lines) == (
        "1\n00:00:01,000 --> 00:00:02,500\nHello big world.\n\n"
        "2\n00:00:04,000 --> 00:00:04,800\nBye now\n\n"
        "3\n01:02:05,500 --> 01:02:06,000\n<b>&\n"
    )
    assert vtt_text(lines) == (
        "WEBVTT\n\n"
        "00:00:01.000 --> 00:00:02.500\nHello big world.\n\n"
        "00:00:04.000 --> 00:00:04.800\nBye now\n\n"
        "01:02:05.500 --> 01:02:06.000\n&lt;b&gt;&amp;\n"
    )


def test_colours_are_validated_and_converted() -> None:
    assert ass_color("#FF8000") == "&H0080FF&"
    style = CaptionStyle(highlight_color="yellow", text_color="#abc", stroke_color="00ff00")
    assert (style.highlight_color, style.text_color, style.stroke_color) == (
        "#FFFF00",
        "#AABBCC",
        "#00FF00",
    )
    for bad in ("#GGGGGG", "notacolour", "#12345", "", "rgb(1,2,3)"):
        with pytest.raises(PydanticError, match="not a colour"):
            CaptionStyle(highlight_color=bad)


@pytest.mark.parametrize(
    "bad",
    [
        {"caption_style": "bold"},
        {"highlight_color": "#XYZXYZ"},
        {"stroke_color": "transparent"},
        {"max_words_per_line": 0},
        {"max_words_per_line": 13},
        {"position": "left"},
        {"caption_font": "Evil,Font"},
        {"caption_font": ""},
        {"font_size_percent": 50},
        {"stroke_enabled": "maybe"},
        {"colour": "#FFFFFF"},  # unknown parameter
    ],
)
def test_bad_params_are_pydantic_errors(bad: dict[str, object]) -> None:
    with pytest.raises(PydanticError):
        CaptionsTile().parse_params(bad)


def test_the_tile_is_registered_with_mosaics_id_and_publishes_its_schema() -> None:
    from tilework.tiles.registry import default_registry  # every tile's module: import late

    registry = default_registry()
    tile = registry.get(CAPTIONS_TYPE_ID)
    assert (tile.name, tile.slug) == ("Captions", "captions")
    assert tile.parse_params({}) == CaptionsParams()
    schema = tile.params_schema()
    assert schema["additionalProperties"] is False
    props = schema["properties"]
    assert props["caption_style"]["enum"] == ["colored", "scaling", "karaoke"]
    for name in ("highlight_color", "stroke_enabled", "stroke_color", "caption_font", "position"):
        assert props[name]["description"]
    assert props["max_words_per_line"]["default"] == 4


def test_word_error_rate_helper() -> None:
    assert word_error_rate("Hello big world.", "hello big world") == 0.0
    assert word_error_rate("a b c d", "a x c") == 0.5  # one substitution, one deletion
    assert word_error_rate("a b", "a b c d") == 1.0  # two insertions
