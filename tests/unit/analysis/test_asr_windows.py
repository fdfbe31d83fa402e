"""Long audio is transcribed in windows that end in pauses (analysis/asr.py)."""

from __future__ import annotations

from itertools import pairwise

from tilework.analysis.asr import SEARCH_S, WINDOW_S, cut_windows


def test_short_audio_is_one_window() -> None:
    assert cut_windows([(10.0, 11.0)], WINDOW_S + SEARCH_S) == [(0.0, WINDOW_S + SEARCH_S)]


def test_windows_end_in_the_longest_pause_before_their_nominal_end() -> None:
    pauses = [
        (250.0, 250.4),
        (280.0, 281.0),
        (299.0, 299.2),
        (310.0, 315.0),
        (560.0, 560.6),
        (585.0, 586.0),
    ]
    pieces = cut_windows(pauses, 1000.0)
    assert pieces[0] == (0.0, 280.5)  # the 1 s pause, not the later 0.2 s one, nor one past 300
    assert pieces[1] == (280.5, 560.3)  # 585.5 is past this window's nominal end, 580.5
    assert pieces[-1][1] == 1000.0
    assert all(a[1] == b[0] for a, b in pairwise(pieces))  # no gap, no overlap


def test_without_pauses_windows_are_cut_at_their_nominal_end() -> None:
    pieces = cut_windows([], 3600.0)
    assert pieces[0] == (0.0, WINDOW_S)
    assert len(pieces) == 12
    assert pieces[-1] == (3300.0, 3600.0)
    assert all(end - start <= WINDOW_S + SEARCH_S for start, end in pieces)
