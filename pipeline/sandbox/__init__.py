"""A local fake Strava API ("the sandbox"), a deterministic synthetic athlete to serve, and the
sandbox's own data folder. The rest of the pipeline imports the sandbox only from here."""

from pipeline.sandbox.athlete import HOSTILE_NAMES, SyntheticAthlete, athlete_end
from pipeline.sandbox.environment import (
    environment_variables,
    sandbox_data_dir,
    sandbox_environment,
    sandbox_settings,
)
from pipeline.sandbox.server import SandboxServer

__all__ = ["HOSTILE_NAMES", "SandboxServer", "SyntheticAthlete", "athlete_end",
           "environment_variables", "sandbox_data_dir", "sandbox_environment",
           "sandbox_settings"]
