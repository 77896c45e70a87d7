"""Time for the Strava client, injectable so that tests never wait for a real quarter hour."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Clock:
    """Epoch seconds now, and a way to wait."""

    now: Callable[[], float] = field(default=time.time)
    sleep: Callable[[float], None] = field(default=time.sleep)


SYSTEM_CLOCK = Clock()
