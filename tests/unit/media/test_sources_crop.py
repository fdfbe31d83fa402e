"""A clip of a long source carries only the analyses near what it uses (tiles/sources.py)."""

from __future__ import annotations

from pathlib import Path

from tests.support.media import info
from tilework.media.timeline import (
    SPEECH_KEY,
    TRANSCRIPT_KEY,
    clip_segments,
    source_timeline,
    timeline_from_json,
    timeline_to_json,
    trim,
)
from tilework.tiles.sources import (
    SCENE_CUTS_KEY,
    crop_analyses,
    get_analysis,
    set_analysis,
    source_references,
)


def _sentence(start: float) -> dict[str, object]:
    word = {"start": start, "end": start + 1.5, "text": f"w{start:g}", "probability": 1.0}
    return {"start": start, "end": start + 1.5, "text": f"w{start:g}", "words": [word]}


def test_each_clip_keeps_the_sentences_spans_and_cuts_near_its_range() -> None:
    talk = source_timeline(Path("/talk.mp4"), info(1200.0), start_ms=None, end_ms=None, name="t")
    (_path, _info, references) = next(source_references(talk))
    transcript = {
        "language": "en",
        "model": "tiny.en",
        "sentences": [_sentence(t) for t in range(0, 1200, 2)],
    }
    speech = {
        "detector": "energy",
        "noise_db": -35.0,
        "duration_s": 1200.0,
        "spans": [{"start": t, "end": t + 1.5} for t in range(0, 1200, 2)],
    }
    cuts = [{"time": float(t), "score": 30.0} for t in range(7, 1200, 60)]
    for reference in references:
        set_analysis(reference, TRANSCRIPT_KEY, transcript)
        set_analysis(reference, SPEECH_KEY, speech)
        set_analysis(reference, SCENE_CUTS_KEY, cuts)

    clip = trim(talk, 600.0, 630.0)
    crop_analyses(clip)

    for _path, _info, refs in source_references(clip):
        for reference in refs:  # the picture's and the sound's
            starts = [s["start"] for s in get_analysis(reference, TRANSCRIPT_KEY)["sentences"]]
            assert starts == list(range(594, 636, 2))  # within 5 s; the one at 594 ends at 595.5
            spans = get_analysis(reference, SPEECH_KEY)["spans"]
            assert [s["start"] for s in spans] == starts
            assert [c["time"] for c in get_analysis(reference, SCENE_CUTS_KEY)] == [607.0]
            assert get_analysis(reference, "media_info")["duration_s"] == 1200.0  # untouched
    words = clip_segments(timeline_from_json(timeline_to_json(clip)))[0].reference_metadata
    assert len(words[TRANSCRIPT_KEY]["sentences"]) == 21
    # the source timeline itself keeps the whole source
    assert len(get_analysis(references[0], TRANSCRIPT_KEY)["sentences"]) == 600
