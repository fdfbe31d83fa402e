"""Audio Enhance: loudness normalisation (EBU R128, two-pass) with optional high-pass and denoise.

The tile only records its settings in ``timeline.metadata["tilework"]["audio_enhance"]``; the
render measures the edited audio (``media/loudness.py``) and the audio pass applies the filters
(``media/passes/audio.py``), so the loudness is that of the final edit, after every cut, and the
video is still encoded once.
"""

from __future__ import annotations

import opentimelineio as otio
from pydantic import Field, field_validator

from tilework.media.passes.audio import ENHANCE_KEY, edit_has_audio
from tilework.media.timeline import NAMESPACE, clip_segments, plain
from tilework.tiles.base import Tile, TileContext, TileParams, TileResult

AUDIO_ENHANCE_TYPE_ID = "30457700-627d-4678-bd3f-86d48aa45a37"
HIGHPASS_RANGE_HZ = (20, 500)


class AudioEnhanceParams(TileParams):
    target_lufs: float = Field(
        default=-14.0,
        ge=-30,
        le=-5,
        description="Integrated loudness of the output, LUFS (-14: web/social, -23: EBU R128 TV)",
    )
    true_peak_db: float = Field(
        default=-1.5, ge=-9, le=0, description="Highest true peak allowed in the output, dBTP"
    )
    loudness_range: float = Field(
        default=11.0,
        ge=1,
        le=50,
        description="Loudness range (LU) above which loudnorm compresses dynamics instead of "
        "applying one gain",
    )
    highpass_hz: int = Field(
        default=80,
        description="High-pass filter cutoff removing rumble and hum, Hz (20-500); 0 = off",
    )
    denoise: bool = Field(default=False, description="Reduce steady background noise (afftdn)")
    denoise_db: float = Field(
        default=12.0, ge=1, le=40, description="Noise reduction when denoise is on, dB"
    )

    @field_validator("highpass_hz")
    @classmethod
    def _highpass_off_or_in_range(cls, value: int) -> int:
        low, high = HIGHPASS_RANGE_HZ
        if value != 0 and not low <= value <= high:
            raise ValueError(f"highpass_hz must be 0 (off) or between {low} and {high}")
        return value


class AudioEnhanceTile(Tile):
    type_id = AUDIO_ENHANCE_TYPE_ID
    name = "Audio Enhance"
    slug = "audio-enhance"
    params_model = AudioEnhanceParams
    docs_url = "https://tilework.dev/docs/tiles/audio-enhance"
    params_docs_url = "https://tilework.dev/docs/tiles/audio-enhance#api-info"

    def run(
        self, ctx: TileContext, params: TileParams, timeline: otio.schema.Timeline
    ) -> TileResult:
        assert isinstance(params, AudioEnhanceParams)
        edited = timeline.deepcopy()
        namespace = plain(edited.metadata).get(NAMESPACE, {})
        namespace[ENHANCE_KEY] = {
            "target_lufs": params.target_lufs,
            "true_peak_db": params.true_peak_db,
            "loudness_range": params.loudness_range,
            "highpass_hz": params.highpass_hz,
            "denoise_db": params.denoise_db if params.denoise else 0.0,
        }
        edited.metadata[NAMESPACE] = namespace
        if not edit_has_audio(clip_segments(edited)):
            message = "the video has no audio: nothing to enhance"
        else:
            message = _describe(params)
        return TileResult(timelines=[edited], status_message=message)


def _describe(params: AudioEnhanceParams) -> str:
    steps = [f"loudness to {params.target_lufs:g} LUFS (true peak {params.true_peak_db:g} dBTP)"]
    if params.highpass_hz:
        steps.append(f"high-pass at {params.highpass_hz} Hz")
    if params.denoise:
        steps.append(f"denoise {params.denoise_db:g} dB")
    return "at render: " + ", ".join(steps)
