"""Caption lines and their files: the style, grouping words into lines, and ASS/SRT/VTT text.

Pure text: no timeline, no ffmpeg. The render pass (``media/passes/captions.py``) maps the words
of the transcripts through the edit into ``TimedWord``s in output seconds, groups them here and
burns the ASS script in with libass; the SRT and VTT are published beside the render.

The ASS script uses the output frame as its coordinate space (``PlayResX``/``PlayResY``), so a
size in the script is a size in output pixels, and the font size follows the frame's shorter
side: the same percentage looks right in 16:9 and in 9:16.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

CaptionKind = Literal["colored", "scaling", "karaoke"]
Position = Literal["top", "middle", "bottom"]

NAMED_COLORS = {
    "white": "#FFFFFF",
    "black": "#000000",
    "yellow": "#FFFF00",
    "gold": "#FFD700",
    "orange": "#FFA500",
    "red": "#FF0000",
    "green": "#00FF00",
    "lime": "#32CD32",
    "blue": "#0000FF",
    "cyan": "#00FFFF",
    "magenta": "#FF00FF",
    "pink": "#FF69B4",
    "purple": "#800080",
    "gray": "#808080",
    "grey": "#808080",
}
_HEX6 = re.compile(r"^#?([0-9a-fA-F]{6})$")
_HEX3 = re.compile(r"^#?([0-9a-fA-F]{3})$")
# A font family name goes into a comma-separated ASS style line: no commas, braces, backslashes.
_FONT = re.compile(r"^[^,{}\\\x00-\x1f\x7f]{1,64}$")
_SENTENCE_END = re.compile(r"[.?!…]['\")\]]*$")

MAX_GAP_S = 0.8  # a longer silence between two words starts a new caption line
SCALE_PERCENT = 125  # how much the active word grows in the "scaling" style
ALIGNMENT = {"bottom": 2, "middle": 5, "top": 8}  # ASS numpad alignment, centred
MARGIN_V = 0.08  # of the frame height, above the bottom / below the top
MARGIN_H = 0.05  # of the frame width, left and right (libass wraps lines inside)
OUTLINE = 0.08  # stroke width, of the font size


def normalise_color(value: str) -> str:
    """``"#RRGGBB"``, ``"RRGGBB"``, ``"#RGB"`` or a colour name → ``"#RRGGBB"`` (upper case)."""
    text = value.strip()
    if text.lower() in NAMED_COLORS:
        return NAMED_COLORS[text.lower()]
    if match := _HEX6.match(text):
        return "#" + match.group(1).upper()
    if match := _HEX3.match(text):
        return "#" + "".join(c * 2 for c in match.group(1)).upper()
    names = ", ".join(sorted(NAMED_COLORS))
    raise ValueError(f"{value!r} is not a colour: use #RRGGBB or one of {names}")


def ass_color(rgb: str) -> str:
    """``"#RRGGBB"`` → ASS ``&HBBGGRR&`` (ASS stores blue first)."""
    hex6 = normalise_color(rgb)[1:]
    return f"&H{hex6[4:6]}{hex6[2:4]}{hex6[0:2]}&"


def _style_color(rgb: str) -> str:
    """The ``&HAABBGGRR`` form of a style line, opaque."""
    return "&H00" + ass_color(rgb)[2:-1]


class CaptionStyle(BaseModel):
    """How captions look; stored as ``timeline.metadata["tilework"]["captions"]``."""

    model_config = ConfigDict(extra="forbid")

    caption_style: CaptionKind = Field(
        default="colored",
        description="colored: the spoken word in highlight_color; scaling: the spoken word "
        "grows (and takes highlight_color); karaoke: words fill with highlight_color as spoken",
    )
    highlight_color: str = Field(
        default="#FFD700", description="Colour of the active word: #RRGGBB or a name like yellow"
    )
    text_color: str = Field(default="#FFFFFF", description="Colour of the other words")
    stroke_enabled: bool = Field(default=True, description="Outline the letters")
    stroke_color: str = Field(default="#000000", description="Colour of the outline")
    caption_font: str = Field(
        default="DejaVu Sans", description="Font family, as fontconfig knows it (bold is used)"
    )
    font_size_percent: float = Field(
        default=7.0,
        ge=2,
        le=20,
        description="Font size in percent of the output frame's shorter side",
    )
    position: Position = Field(default="bottom", description="top, middle or bottom of the frame")
    max_words_per_line: int = Field(default=4, ge=1, le=12, description="Words shown at once")

    @field_validator("highlight_color", "text_color", "stroke_color")
    @classmethod
    def _valid_color(cls, value: str) -> str:
        return normalise_color(value)

    @field_validator("caption_font")
    @classmethod
    def _valid_font(cls, value: str) -> str:
        value = value.strip()
        if not _FONT.match(value):
            raise ValueError("caption_font must be 1-64 characters without , { } or \\")
        return value


@dataclass(frozen=True)
class TimedWord:
    """A spoken word in output seconds; ``cut`` is the index of the edit's piece it is in."""

    text: str
    start: float
    end: float
    cut: int = 0


@dataclass(frozen=True)
class CaptionLine:
    """The words shown together, from the first word's start to the last word's end."""

    words: tuple[TimedWord, ...]
    start: float
    end: float

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)


def group_lines(words: list[TimedWord], max_words: int) -> list[CaptionLine]:
    """Words → lines of at most ``max_words``, broken after a sentence, a long gap or a cut.

    A phrase longer than ``max_words`` is split into lines of even length (5 words at 4 per
    line → 3 + 2), so no lone word is left dangling at the end of a sentence.
    """
    groups = [chunk for phrase in _phrases(words) for chunk in _even_chunks(phrase, max_words)]
    lines = []
    for index, group in enumerate(groups):
        end = group[-1].end
        if index + 1 < len(groups):  # never overlap the next line (Whisper's ends may overrun)
            end = min(end, groups[index + 1][0].start)
        lines.append(CaptionLine(tuple(group), group[0].start, max(end, group[0].start)))
    return lines


def _phrases(words: list[TimedWord]) -> list[list[TimedWord]]:
    phrases: list[list[TimedWord]] = []
    for word in words:
        if phrases and not _breaks_before(phrases[-1][-1], word):
            phrases[-1].append(word)
        else:
            phrases.append([word])
    return phrases


def _breaks_before(last: TimedWord, word: TimedWord) -> bool:
    return (
        _SENTENCE_END.search(last.text) is not None
        or word.start - last.end > MAX_GAP_S
        or word.cut != last.cut
    )


def _even_chunks(phrase: list[TimedWord], max_words: int) -> list[list[TimedWord]]:
    count = -(-len(phrase) // max_words)  # ceil
    size, extra = divmod(len(phrase), count)
    chunks, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        chunks.append(phrase[start:end])
        start = end
    return chunks


# --- SRT and WebVTT ---------------------------------------------------------------------------


def _clock(seconds: float, separator: str) -> str:
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def srt_text(lines: list[CaptionLine]) -> str:
    cues = [
        f"{number}\n{_clock(line.start, ',')} --> {_clock(line.end, ',')}\n{line.text}\n"
        for number, line in enumerate(lines, start=1)
    ]
    return "\n".join(cues)


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def vtt_text(lines: list[CaptionLine]) -> str:
    cues = [
        f"{_clock(line.start, '.')} --> {_clock(line.end, '.')}\n{_vtt_escape(line.text)}\n"
        for line in lines
    ]
    return "\n".join(["WEBVTT\n", *cues])


# --- ASS (libass) -----------------------------------------------------------------------------

_STYLE_FORMAT = (
    "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, "
    "Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, "
    "Shadow, Alignment, MarginL, MarginR, MarginV, Encoding"
)
_EVENT_FORMAT = "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text"


def font_size_px(style: CaptionStyle, width: int, height: int) -> int:
    return max(8, round(min(width, height) * style.font_size_percent / 100))


def _centis(seconds: float) -> int:
    return max(0, round(seconds * 100))


def _ass_time(centis: int) -> str:
    hours, rest = divmod(centis, 360_000)
    minutes, rest = divmod(rest, 6000)
    secs, cs = divmod(rest, 100)
    return f"{hours}:{minutes:02d}:{secs:02d}.{cs:02d}"


def _ass_text(text: str) -> str:
    """A word as literal ASS text: braces open override blocks and backslashes start tags."""
    return text.replace("\\", "/").replace("{", "(").replace("}", ")")


def _style_line(style: CaptionStyle, width: int, height: int) -> str:
    size = font_size_px(style, width, height)
    outline = max(1, round(size * OUTLINE)) if style.stroke_enabled else 0
    # Karaoke fills from SecondaryColour to PrimaryColour; the others draw PrimaryColour.
    if style.caption_style == "karaoke":
        primary, secondary = style.highlight_color, style.text_color
    else:
        primary, secondary = style.text_color, style.highlight_color
    margin_v = 0 if style.position == "middle" else round(height * MARGIN_V)
    margin_h = round(width * MARGIN_H)
    fields = [
        "Caption",
        style.caption_font,
        str(size),
        _style_color(primary),
        _style_color(secondary),
        _style_color(style.stroke_color),
        "&H80000000",  # BackColour: only used by shadows, which are off
        "-1,0,0,0",  # bold, not italic/underlined/struck out
        "100,100,0,0",  # scale x/y, spacing, angle
        "1",  # BorderStyle 1: outline (+ shadow), no box
        str(outline),
        "0",  # shadow
        str(ALIGNMENT[style.position]),
        str(margin_h),
        str(margin_h),
        str(margin_v),
        "1",
    ]
    return "Style: " + ",".join(fields)


def _dialogue(start: int, end: int, text: str) -> str:
    return f"Dialogue: 0,{_ass_time(start)},{_ass_time(end)},Caption,,0,0,0,,{text}"


def _active_tag(style: CaptionStyle) -> str:
    color = f"\\1c{ass_color(style.highlight_color)}"
    if style.caption_style == "scaling":
        return f"{{{color}\\fscx{SCALE_PERCENT}\\fscy{SCALE_PERCENT}}}"
    return f"{{{color}}}"


def _highlight_events(line: CaptionLine, style: CaptionStyle) -> list[str]:
    """One event per word: the whole line, the word being spoken styled as active.

    Events are back to back from the line's start to its end, so the line never blinks: the
    active word stays active through a short pause until the next word starts.
    """
    words = [_ass_text(word.text) for word in line.words]
    bounds = [_centis(line.start)]
    bounds += [_centis(word.start) for word in line.words[1:]]
    bounds.append(_centis(line.end))
    events = []
    for index in range(len(words)):
        start, end = bounds[index], bounds[index + 1]
        if end <= start:
            continue
        parts = list(words)
        parts[index] = f"{_active_tag(style)}{words[index]}{{\\r}}"
        events.append(_dialogue(start, end, " ".join(parts)))
    return events


def _karaoke_event(line: CaptionLine) -> list[str]:
    """One event per line; each word fills (``\\kf``) over its spoken time, pauses as ``\\k``."""
    start, end = _centis(line.start), _centis(line.end)
    if end <= start:
        return []
    cursor = start
    parts = []
    for word in line.words:
        word_start = min(max(_centis(word.start), cursor), end)
        if word_start > cursor:  # an empty syllable waits out the pause before the word
            parts.append(f"{{\\k{word_start - cursor}}}")
            cursor = word_start
        duration = max(1, min(_centis(word.end), end) - cursor)
        parts.append(f"{{\\kf{duration}}}{_ass_text(word.text)} ")
        cursor += duration
    return [_dialogue(start, end, "".join(parts).rstrip())]


def ass_script(lines: list[CaptionLine], style: CaptionStyle, width: int, height: int) -> str:
    """The whole ASS script for a ``width``x``height`` output frame."""
    events: list[str] = []
    for line in lines:
        if style.caption_style == "karaoke":
            events += _karaoke_event(line)
        else:
            events += _highlight_events(line, style)
    header = [
        "[Script Info]",
        "; Written by Tilework",
        "ScriptType: v4.00+",
        f"PlayResX: {width}",
        f"PlayResY: {height}",
        "WrapStyle: 0",
        "ScaledBorderAndShadow: yes",
        "YCbCr Matrix: None",
        "",
        "[V4+ Styles]",
        _STYLE_FORMAT,
        _style_line(style, width, height),
        "",
        "[Events]",
        _EVENT_FORMAT,
    ]
    return "\n".join([*header, *events]) + "\n"
