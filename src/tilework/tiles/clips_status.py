"""The Clips node's ``status_message``: what was found and, when less than asked, why."""

from __future__ import annotations

from tilework.tiles.highlights import Selection
from tilework.tiles.prompt_match import WordRelevance

SEMANTIC_HINT = "install tilework[semantic] to match prompts by meaning"


def describe(selection: Selection, *, num_clips: int, target_s: float, duration_s: float) -> str:
    """One sentence for the node's status: what was found and, if less, why."""
    found = selection.highlights
    relevance = selection.relevance
    if relevance is not None and not found:
        return _nothing_matched(relevance)
    if selection.mode == "whole":
        return (
            f"the video ({duration_s:.1f} s) is not longer than target_duration "
            f"({target_s:g} s): passed through as one clip"
        )
    lengths = [h.duration_s for h in found]
    parts = [_count(len(found), num_clips, target_s, duration_s, relevance)]
    shortest, longest = f"{min(lengths, default=0):.1f}", f"{max(lengths, default=0):.1f}"
    if lengths:
        parts.append(
            f"{shortest} s long" if shortest == longest else f"{shortest}-{longest} s long"
        )
    parts.extend(selection.notes)
    parts.append(_basis(selection))
    return "; ".join(parts)


def _count(
    found: int, asked: int, target_s: float, duration_s: float, relevance: WordRelevance | None
) -> str:
    plural = "s" if found != 1 else ""
    if found >= asked:
        return f"{found} clip{plural} of about {target_s:g} s"
    if relevance is not None:
        return (
            f"asked for {asked}, found {found}: only {found} non-overlapping clip{plural} of "
            f"about {target_s:g} s hold{'s' if found == 1 else ''} speech that matches the "
            f"prompt ({_criterion(relevance)})"
        )
    return (
        f"asked for {asked}, found {found}: the {duration_s:.1f} s video has room for only "
        f"{found} non-overlapping clip{plural} of about {target_s:g} s"
    )


def _nothing_matched(relevance: WordRelevance) -> str:
    match = relevance.match
    if not match.relevance:
        return "no clips: no speech was found, so nothing matches the prompt"
    if match.mode == "semantic":
        return (
            f"no clips: nothing said in the video matches the prompt (best sentence similarity "
            f"{match.best:.2f}; a clip needs one of at least {match.threshold:.2f})"
        )
    return f"no clips: no word of the prompt was heard (keyword ranking; {SEMANTIC_HINT})"


def _criterion(relevance: WordRelevance) -> str:
    if relevance.match.mode == "semantic":
        return f"sentence similarity at least {relevance.match.threshold:.2f}"
    return "a keyword of the prompt"


def _basis(selection: Selection) -> str:
    if selection.mode == "scenes":
        return "cut at scene changes, loudest first"
    if selection.mode == "even":
        return "split evenly, loudest first"
    relevance = selection.relevance
    if relevance is not None and relevance.match.mode == "semantic":
        return "ranked by meaning (semantic match to the prompt), speech energy and scene cuts"
    if relevance is not None:
        return "ranked by prompt keywords (BM25), speech energy and scene cuts"
    return "ranked by speech energy, whole sentences and scene cuts"
