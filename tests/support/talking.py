"""One short talking clip with known pauses, generated once per test session.

espeak-ng reads three short sentences with ``PAUSE_S`` of silence between them and ends every
utterance with its own short silence; ``TAIL_S`` more silence is added after it. espeak-ng drops a
break at the very start of its input, so the speech starts at once (``lead_in_s=0``).
"""

from __future__ import annotations

import threading
from pathlib import Path

from tilework.media.samples import TalkingClip, make_talking_clip

SCRIPT = ("Welcome to the demo.", "We remove the long pauses.", "Thank you for watching.")
PAUSE_S = 1.2
TAIL_S = 1.0
ESPEAK_END_SILENCE_S = 0.45  # espeak-ng's own silence after the last word (measured 0.41-0.46 s)

_made: dict[Path, TalkingClip] = {}
_lock = threading.Lock()


def short_talking_clip(folder: Path) -> TalkingClip:
    """The clip in ``folder`` (320x180, 25 fps, no face), made on first use."""
    path = folder / "talking.mp4"
    with _lock:
        if path not in _made:
            _made[path] = make_talking_clip(
                "ffmpeg",
                path,
                script=SCRIPT,
                pause_s=PAUSE_S,
                lead_in_s=0.0,
                tail_s=TAIL_S,
                width=320,
                height=180,
                face=False,
            )
        return _made[path]
