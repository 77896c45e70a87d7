"""Time for the Strava client, injectable so that tests never wait for a real quarter hour."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Clock:
    """Epoch seconds now, and a way to wait."""

    now: Callable[[], float] = field(default=time.time)
    sleep: Callable[[float], None] = field(default=time.sleep)


SYSTEM_CLOCK = Clock()


# Tests and benchmarks only: ``STRAVA_SIMULATED_CLOCK=<real epoch>:<simulated epoch>:<speed>``
# makes the Strava client's time (and the sandbox's, which reads the same variable) run
# ``speed`` times faster from ``<simulated epoch>`` at ``<real epoch>``, the same in every
# process, so a quarter hour of Strava's rate windows passes in 900/speed real seconds. Only
# honoured for a sandbox on this machine (pipeline/strava/__init__.py).
SIMULATED_CLOCK_VARIABLE = "STRAVA_SIMULATED_CLOCK"


def scaled_clock(real_origin: float, simulated_origin: float, speed: float) -> Clock:
    """A clock ``speed`` times faster than the real one, reading ``simulated_origin`` at the
    real time ``real_origin``; its sleep sleeps ``1/speed`` of the simulated seconds."""
    if speed <= 0:
        raise ValueError(f"{SIMULATED_CLOCK_VARIABLE}: the speed must be positive, not {speed}")

    def now() -> float:
        return simulated_origin + (time.time() - real_origin) * speed

    def sleep(seconds: float) -> None:
        time.sleep(max(0.0, seconds) / speed)

    return Clock(now=now, sleep=sleep)


def simulated_clock_setting(real_origin: float, simulated_origin: float, speed: float) -> str:
    """The value of STRAVA_SIMULATED_CLOCK for these numbers."""
    return f"{real_origin!r}:{simulated_origin!r}:{speed!r}"


def environment_clock(environ: dict[str, str] | None = None) -> Clock | None:
    """The simulated clock STRAVA_SIMULATED_CLOCK describes, None when it is not set."""
    value = (environ if environ is not None else os.environ).get(SIMULATED_CLOCK_VARIABLE, "")
    if not value.strip():
        return None
    try:
        real, simulated, speed = (float(part) for part in value.split(":"))
    except ValueError:
        raise ValueError(f"{SIMULATED_CLOCK_VARIABLE}={value!r} is not "
                         "<real epoch>:<simulated epoch>:<speed>: unset it") from None
    return scaled_clock(real, simulated, speed)


def resolve_clock(settings: Any, clock: Clock | None) -> Clock:
    """The client's clock: ``clock`` unless it is the system's (or None) and
    STRAVA_SIMULATED_CLOCK sets a simulated one for a sandbox on this machine."""
    if clock is not None and clock is not SYSTEM_CLOCK:
        return clock
    from urllib.parse import urlsplit

    host = (urlsplit(str(settings.strava_api_url)).hostname or "").lower()
    local = host in {"localhost", "::1"} or host.startswith("127.")
    return (environment_clock() if local else None) or SYSTEM_CLOCK
