"""A local fake Strava API ("the sandbox"), a deterministic synthetic athlete to serve, and the
sandbox's own data folder. The rest of the pipeline imports the sandbox only from here."""

from pipeline.sandbox.athlete import HOSTILE_NAMES, SyntheticAthlete, athlete_end
from pipeline.sandbox.changes import ChangeError, apply_changes, load_changes
from pipeline.sandbox.environment import (
    environment_variables,
    sandbox_data_dir,
    sandbox_environment,
    sandbox_settings,
)
from pipeline.sandbox.server import SandboxServer

__all__ = ["HOSTILE_NAMES", "ChangeError", "SandboxServer", "SyntheticAthlete", "apply_changes",
           "athlete_end",
           "environment_variables", "load_changes", "sandbox_data_dir", "sandbox_environment",
           "sandbox_settings"]
