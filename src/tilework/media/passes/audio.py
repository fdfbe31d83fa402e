"""The audio enhance pass: clean-up filters, then two-pass EBU R128 loudness normalisation.

The Audio Enhance tile stores its settings in ``timeline.metadata["tilework"]["audio_enhance"]``.
Before compiling, the render measures the edited audio through the same clean-up filters
(``media/loudness.py``, pass 1) and stores the result under ``"measured"`` in a copy of that
metadata; this pass then adds, after the concatenated sound:

    highpass=f=80, afftdn=nr=12, loudnorm=…:measured_I=…:linear=true, aresample=48000

``linear=true`` applies one gain to the whole edit (no pumping) when the measured loudness range
and true peak allow it; otherwise loudnorm falls back to its dynamic mode, which still meets the
target. loudnorm works at 192 kHz internally, hence the resample after it. Without a measurement
(a plan shown before any render) the pass uses loudnorm's one-pass mode; with no audio in the
edit, or only digital silence, it leaves the loudness alone.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict

from tilework.media.graph import PassContext
from tilework.media.timeline import NAMESPACE, Segment, plain

ENHANCE_KEY = "audio_enhance"
RENDER_RATE = 48000  # the render's audio rate (media/compile.py)
SILENT_BELOW_LUFS = -70.0  # loudnorm cannot normalise (and EBU R128 gates out) anything quieter


class LoudnessMeasurement(BaseModel):
    """loudnorm's pass-1 report (``print_format=json``), as numbers."""

    model_config = ConfigDict(frozen=True)

    input_i: float  # integrated loudness, LUFS
    input_tp: float  # true peak, dBTP
    input_lra: float  # loudness range, LU
    input_thresh: float  # gating threshold, LUFS
    target_offset: float  # gain loudnorm left to apply for the targets it was given, LU

    @property
    def silent(self) -> bool:
        return not math.isfinite(self.input_i) or self.input_i < SILENT_BELOW_LUFS


class AudioEnhanceSettings(BaseModel):
    """What the tile stored (already validated by its params) plus the render's measurement."""

    target_lufs: float = -14.0
    true_peak_db: float = -1.5
    loudness_range: float = 11.0
    highpass_hz: int = 0
    denoise_db: float = 0.0  # afftdn noise reduction; 0 = off
    measured: LoudnessMeasurement | None = None


def enhance_settings(metadata: Any) -> AudioEnhanceSettings | None:
    """The settings in a timeline's metadata, or None when audio enhance was not asked for."""
    stored = plain(metadata).get(NAMESPACE, {}).get(ENHANCE_KEY)
    return AudioEnhanceSettings.model_validate(stored) if isinstance(stored, dict) else None


def edit_has_audio(segments: list[Segment]) -> bool:
    return any(s.media_info is not None and s.media_info.has_audio for s in segments)


def cleanup_filters(settings: AudioEnhanceSettings) -> list[str]:
    """The filters before loudnorm; pass 1 measures after them so pass 2 hits the target."""
    filters = []
    if settings.highpass_hz > 0:
        filters.append(f"highpass=f={settings.highpass_hz}")
    if settings.denoise_db > 0:
        filters.append(f"afftdn=nr={settings.denoise_db:g}")
    return filters


def loudnorm_targets(settings: AudioEnhanceSettings) -> str:
    return (
        f"loudnorm=I={settings.target_lufs:g}:TP={settings.true_peak_db:g}"
        f":LRA={settings.loudness_range:g}"
    )


def _clamp(value: float, low: float, high: float) -> str:
    return f"{min(high, max(low, value)):.2f}"


def loudnorm_filter(settings: AudioEnhanceSettings) -> str | None:
    """Pass 2 with the measured values (or one-pass without them); None for a silent edit."""
    measured = settings.measured
    if measured is None:
        return loudnorm_targets(settings)
    if measured.silent:
        return None
    return (
        f"{loudnorm_targets(settings)}"
        f":measured_I={_clamp(measured.input_i, -99, 0)}"
        f":measured_TP={_clamp(measured.input_tp, -99, 99)}"
        f":measured_LRA={_clamp(measured.input_lra, 0, 99)}"
        f":measured_thresh={_clamp(measured.input_thresh, -99, 0)}"
        f":offset={_clamp(measured.target_offset, -99, 99)}"
        ":linear=true:print_format=summary"
    )


def enhance_audio(ctx: PassContext, label: str) -> str:
    """AudioPass: clean up and normalise the edit's sound when the timeline asks for it."""
    settings = enhance_settings(ctx.timeline.metadata)
    if settings is None or not edit_has_audio(ctx.segments):
        return label
    filters = cleanup_filters(settings)
    normalise = loudnorm_filter(settings)
    if normalise is not None:
        filters += [normalise, f"aresample={RENDER_RATE}"]
    if not filters:
        return label
    out = ctx.graph.label("enh")
    ctx.graph.add(f"{label}{','.join(filters)}{out}")
    return out
