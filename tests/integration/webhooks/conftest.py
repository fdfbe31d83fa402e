from __future__ import annotations

from tests.support.receiver import receiver as receiver  # the fixture, for these tests
