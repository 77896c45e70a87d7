"""Where the project lives, and the Luigi configuration every entry point loads, from any folder.

Luigi reads ``luigi.cfg`` from the working directory only (and ``LUIGI_CONFIG_PATH``), so a run
started elsewhere would lose the project's ``[retcode]`` exit codes and exit 0 on failure.
Importing ``pipeline`` therefore adds the project's configuration to Luigi's once:

1. the checkout's ``luigi.cfg`` when the package runs from a checkout (``pip install -e .``,
   ``./run_weekly.sh``), else
2. the copy installed with the package (``<prefix>/share/strava-pipeline/luigi.cfg``).

Precedence, lowest first: ``/etc/luigi/*.cfg``, a ``luigi.cfg`` in the working directory, the
project's configuration, then ``LUIGI_CONFIG_PATH``, which always wins. The project's
``luigi.cfg`` leaves the scheduler address to Luigi's default (localhost:8082), so
``/etc/luigi/luigi.cfg`` or ``LUIGI_CONFIG_PATH`` can point every run at another luigid.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

from luigi import configuration
from luigi.parameter import UnconsumedParameterWarning

PACKAGE_DIR = Path(__file__).resolve().parent
CONFIG_NAME = "luigi.cfg"
INSTALLED_SHARE = Path("share") / "strava-pipeline"

_loaded: Path | None = None

# False alarms of Luigi 3.8.1: its core() config class reads the documented scheduler names
# through aliases and the RPC client reads rpc_retry_* itself, yet both are reported as
# "not consumed by the task 'core'". They are consumed.
warnings.filterwarnings(
    "ignore",
    message=r".*'(default_scheduler_(host|port|url)|rpc_retry_(attempts|wait))'",
    category=UnconsumedParameterWarning,
)


def project_root() -> Path | None:
    """The checkout the package runs from (it holds pyproject.toml and luigi.cfg), or None."""
    root = PACKAGE_DIR.parent
    if (root / "pyproject.toml").is_file() and (root / CONFIG_NAME).is_file():
        return root
    return None


def base_dir() -> Path:
    """What relative default locations (./data, ./sandbox-data) are relative to: the checkout,
    or the working directory when the package is installed without one."""
    return project_root() or Path.cwd()


def project_file(relative: str) -> Path | None:
    """A file shipped with the project (``luigi.cfg``, ``config/logging.ini``): the checkout's,
    else the installed copy, else None."""
    root = project_root()
    candidates = [root / relative] if root else []
    candidates.append(Path(sys.prefix) / INSTALLED_SHARE / Path(relative).name)
    return next((path for path in candidates if path.is_file()), None)


def load_luigi_config() -> Path | None:
    """Add the project's luigi.cfg to Luigi's configuration (once); ``LUIGI_CONFIG_PATH`` stays
    last, so it wins. Returns the file added, or None when there is none."""
    global _loaded
    if _loaded is not None:
        return _loaded
    path = project_file(CONFIG_NAME)
    if path is None:
        return None
    configuration.add_config_path(str(path))
    user_config = os.environ.get("LUIGI_CONFIG_PATH")
    if user_config and os.path.isfile(user_config):
        configuration.add_config_path(user_config)
    _loaded = path
    return path
