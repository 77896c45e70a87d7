"""A local fake Strava API ("the sandbox") and a deterministic synthetic athlete to serve."""

from pipeline.sandbox.athlete import HOSTILE_NAMES, SyntheticAthlete
from pipeline.sandbox.server import SandboxServer

__all__ = ["HOSTILE_NAMES", "SandboxServer", "SyntheticAthlete"]
