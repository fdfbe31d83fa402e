"""The captions render pass: words mapped through the edit, files written, the libass filter."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest

from tests.support.media import info
from tilework.analysis.asr import Sentence, Transcript, Word
from tilework.errors import ValidationError
from tilework.media.captions import CaptionStyle
from tilework.media.compile import VIDEO_PASSES, RenderSpec, compile_render
from tilework.media.passes.captions import (
    captions_pass,
    filter_value,
    snap_to_speech,
    words_in_edit,
)
from tilework.media.timeline import TRANSCRIPT_KEY, clip_segments, source_timeline, trim
from tilework.tiles.captions import store_style
from tilework.tiles.sources import set_analysis

A = Path("/media/a.mp4")
B = Path("/media/b.mp4")


def transcript(*words: tuple[str, float, float]) -> Transcript:
    items = [Word(text=text, start=start, end=end) for text, start, end in words]
    text = " ".join(text for text, _, _ in words)
    return Transcript(
        language="en",
        model="tiny.en",
        sentences=[Sentence(start=items[0].start, end=items[-1].end, text=text, words=items)],
    )


SPEECH_A = transcript(
    ("One", 0.5, 0.9), ("two", 1.0, 1.4), ("three.", 2.0, 2.4), ("Four", 3.0, 3.4)
)
SPEECH_B = transcript(("Bee", 0.2, 0.6), ("sea.", 1.0, 1.3))


def with_transcripts(tl: otio.schema.Timeline) -> otio.schema.Timeline:
    for clip in tl.find_clips():
        reference = clip.media_reference
        assert isinstance(reference, otio.schema.ExternalReference)
        speech = SPEECH_A if reference.target_url.endswith("a.mp4") else SPEECH_B
        set_analysis(reference, TRANSCRIPT_KEY, speech.model_dump(mode="json"))
    return tl


def source(path: Path, seconds: float) -> otio.schema.Timeline:
    return source_timeline(path, info(seconds), start_ms=None, end_ms=None, name=path.name)


def joined(*timelines: otio.schema.Timeline) -> otio.schema.Timeline:
    """The timelines one after the other (a multi-cut edit), transcripts attached."""
    edit = timelines[0].deepcopy()
    for other in timelines[1:]:
        copy = other.deepcopy()
        for mine, theirs in zip(edit.tracks, copy.tracks, strict=True):
            for item in list(theirs):
                theirs.remove(item)
                mine.append(item)
    return with_transcripts(edit)


def test_words_follow_the_edit_and_cut_words_are_clipped_or_dropped() -> None:
    # a.mp4 1.2-3.2 s cuts "two" (1.0-1.4) and "Four" (3.0-3.4) in half; then all of b.mp4
    edit = joined(trim(source(A, 4.0), 1.2, 3.2), source(B, 2.0))
    words = words_in_edit(clip_segments(edit))
    placed = [(w.text, round(w.start, 3), round(w.end, 3), w.cut) for w in words]
    assert placed == [
        ("two", 0.0, 0.2, 0),  # half of it kept: clipped to the cut
        ("three.", 0.8, 1.2, 0),
        ("Four", 1.8, 2.0, 0),  # half kept, clipped at the end of the cut
        ("Bee", 2.2, 2.6, 1),  # b.mp4 starts at 2.0 s in the output
        ("sea.", 3.0, 3.3, 1),
    ]
    # less than half of "One" (0.5-0.9) is after 0.8 s: dropped
    late = joined(trim(source(A, 4.0), 0.8))
    assert [w.text for w in words_in_edit(clip_segments(late))] == ["two", "three.", "Four"]
    # a word stretched over a pause counts as at most 1 s long
    long = transcript(("Long.", 0.0, 3.0))
    stretched = source(A, 4.0)
    reference = stretched.find_clips()[0].media_reference
    set_analysis(reference, TRANSCRIPT_KEY, long.model_dump(mode="json"))
    (word,) = words_in_edit(clip_segments(stretched))
    assert (word.start, word.end) == (0.0, 1.0)


def test_no_style_or_no_words_adds_nothing(tmp_path: Path) -> None:
    plain = joined(source(A, 4.0))
    compiled = compile_render(plain, RenderSpec(), tmp_path / "out.mp4")
    assert compiled.extra_files == {} and "ass=" not in " ".join(compiled.args)
    silent = source(A, 4.0)
    store_style(silent, CaptionStyle())  # captions on, but no transcript
    compiled = compile_render(silent, RenderSpec(), tmp_path / "out.mp4")
    assert compiled.extra_files == {} and not list(tmp_path.iterdir())


def test_the_pass_writes_files_and_burns_them_in_first(tmp_path: Path) -> None:
    assert VIDEO_PASSES[0] is captions_pass  # overlays (logos) go on top of the captions
    tl = joined(source(A, 4.0), source(B, 2.0))
    store_style(tl, CaptionStyle(caption_style="karaoke"))
    folder = tmp_path / "it's [a], b;c"
    folder.mkdir()
    compiled = compile_render(tl, RenderSpec(width=1280, height=720), folder / "out.mp4")
    srt, vtt = compiled.extra_files["captions_srt_url"], compiled.extra_files["captions_vtt_url"]
    assert srt == folder / "captions.srt" and vtt == folder / "captions.vtt"
    assert srt.read_text() == (
        "1\n00:00:00,500 --> 00:00:02,400\nOne two three.\n\n"
        "2\n00:00:03,000 --> 00:00:03,400\nFour\n\n"
        "3\n00:00:04,200 --> 00:00:05,300\nBee sea.\n"  # b.mp4 follows a.mp4's 4 s
    )
    assert "00:00:04.200 --> 00:00:05.300\nBee sea.\n" in vtt.read_text()
    ass = (folder / "captions.ass").read_text()
    assert "PlayResX: 1280" in ass and "\\kf" in ass
    graph = compiled.args[compiled.args.index("-filter_complex") + 1]
    assert f"[vcat]ass=filename={filter_value(str(folder / 'captions.ass'))}[cap" in graph
    assert "it\\\\\\'s \\[a\\]\\, b\\;c" in graph
    assert compiled.args[compiled.args.index("-map") + 1].startswith("[cap")


def test_filter_value_escapes_both_levels() -> None:
    assert filter_value("/a/b.ass") == "/a/b.ass"
    assert filter_value("C:\\x") == "C\\\\:\\\\\\\\x"  # C\\:\\\\x
    assert filter_value("it's") == "it\\\\\\'s"
    assert filter_value("[a],b;c") == "\\[a\\]\\,b\\;c"


def test_a_bad_stored_style_is_a_clear_error(tmp_path: Path) -> None:
    tl = joined(source(A, 4.0))
    tl.metadata["tilework"] = {"schema": 1, "captions": {"caption_style": "neon"}}
    with pytest.raises(ValidationError, match="caption style is invalid"):
        compile_render(tl, RenderSpec(), tmp_path / "out.mp4")


def test_word_edges_snap_to_the_voice() -> None:
    words = [
        Word(text="Early", start=0.3, end=0.8),  # starts in the silence before the voice (0.5)
        Word(text="on.", start=0.9, end=2.6),  # runs on into the pause after 1.6
        Word(text="Late", start=3.4, end=3.7),  # the voice started at 3.0
        Word(text="middle", start=3.8, end=4.0),  # not first in its span: unchanged
        Word(text="dip", start=4.1, end=4.5),  # a 0.1 s dip at 4.2 is not a pause: unchanged
        Word(text="far.", start=6.0, end=6.5),  # speech starts 0.9 s later: too far to snap
    ]
    spans = [(0.5, 1.6), (3.0, 4.2), (4.3, 4.6), (6.9, 7.5)]
    snapped = [(w.text, w.start, round(w.end, 3)) for w in snap_to_speech(words, spans)]
    assert snapped == [
        ("Early", 0.5, 0.8),
        ("on.", 0.9, 1.7),
        ("Late", 3.0, 3.7),
        ("middle", 3.8, 4.0),
        ("dip", 4.1, 4.5),
        ("far.", 6.0, 6.5),
    ]
    assert snap_to_speech(words, []) == words


def test_stored_speech_spans_are_used_by_the_pass() -> None:
    tl = joined(source(A, 4.0))
    reference = tl.find_clips()[0].media_reference
    assert isinstance(reference, otio.schema.ExternalReference)
    speech = {"detector": "energy", "noise_db": -35, "duration_s": 4.0, "spans": []}
    speech["spans"] = [{"start": 0.3, "end": 2.2}, {"start": 2.9, "end": 3.5}]
    set_analysis(reference, "speech", speech)
    words = words_in_edit(clip_segments(tl))
    assert [(w.text, w.start, round(w.end, 3)) for w in words] == [
        ("One", 0.3, 0.9),
        ("two", 1.0, 1.4),
        ("three.", 2.0, 2.3),
        ("Four", 2.9, 3.4),
    ]
    set_analysis(reference, "speech", {"spans": "not a list"})  # ignored, not an error
    assert [w.start for w in words_in_edit(clip_segments(tl))] == [0.5, 1.0, 2.0, 3.0]
