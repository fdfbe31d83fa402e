"""What a task costs: credits per minute of its input timeline, by tile, rounded up.

Prices are keyed by tile slug (``trim``, ``render`` …) or node type id. A priced tile costs at
least 1 credit per task; input tiles (Video Input) are free, and so is a tile whose price is 0.
Tiles missing from the table cost ``credit_default_price`` per minute.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from tilework.config import Settings

# Credits per minute of input. Mosaic does not publish per-tile prices; these follow the work a
# tile does here: timeline edits are cheap, renders and audio passes cost more, and tiles that
# run speech recognition or face/scene analysis cost the most.
DEFAULT_PRICES: dict[str, float] = {
    "trim": 1,
    "overlay": 1,
    "intro-outro": 1,
    "render": 2,
    "music": 2,
    "thumbnail": 1,
    "audio-enhance": 3,
    "silence-removal": 3,
    "captions": 5,
    "reframe": 5,
    "clips": 10,
    "highlights": 10,
}

# Rounding guard: 60.0000001 s at 1 credit/min must not cost 2 credits.
_EPSILON = 1e-6


@dataclass(frozen=True)
class PriceTable:
    per_minute: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_PRICES))
    default_per_minute: float = 2.0

    def rate(self, slug: str, type_id: str | None = None) -> float:
        """Credits per minute for the tile ``slug`` (or its node type id)."""
        for key in (slug, type_id):
            if key is not None and key in self.per_minute:
                return self.per_minute[key]
        return self.default_per_minute

    def task_cost(
        self, slug: str, duration_s: float, *, type_id: str | None = None, is_input: bool = False
    ) -> int:
        """Credits for one task over ``duration_s`` seconds of input."""
        rate = 0.0 if is_input else self.rate(slug, type_id)
        if rate <= 0:
            return 0
        return max(1, math.ceil(rate * max(duration_s, 0.0) / 60.0 - _EPSILON))


def price_table_from_settings(settings: Settings) -> PriceTable:
    for key, value in settings.credit_prices.items():
        if value < 0:
            raise ValueError(f"TILEWORK_CREDIT_PRICES: {key} has a negative price")
    return PriceTable(
        per_minute={**DEFAULT_PRICES, **settings.credit_prices},
        default_per_minute=settings.credit_default_price,
    )
