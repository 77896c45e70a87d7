"""Whether the kudos model may train here: Strava's API agreement and the KUDOS_MODEL setting.

Strava's API agreement forbids using data obtained through its API for training a machine-learning
model. So the model trains by default only on the sandbox's synthetic athlete (STRAVA_API_URL on
this machine); on data read from Strava it trains only when the operator sets ``KUDOS_MODEL=on``
(``[kudos] model = on``). ``KUDOS_MODEL=off`` stops it everywhere.
"""

from __future__ import annotations

from pipeline.settings import Settings
from pipeline.strava.client import is_local_url

OFF_PREFIX = "skipped: KUDOS_MODEL is off"


def training_refusal(settings: Settings) -> str | None:
    """None when the model may train; else the recorded skip's reason, naming the setting."""
    if settings.kudos_model == "on":
        return None
    if settings.kudos_model == "off":
        return (f"{OFF_PREFIX} (set so by the operator): no model is trained; set "
                "KUDOS_MODEL=on ([kudos] model = on) to train it")
    if is_local_url(settings.strava_api_url):
        return None  # the sandbox's synthetic athlete: no data from Strava's API
    return (f"{OFF_PREFIX} (the default on data read from Strava's API): Strava's API "
            "agreement forbids training a machine-learning model on it; set KUDOS_MODEL=on "
            "([kudos] model = on) to train anyway, at your own decision")


def is_off_reason(reason: object) -> bool:
    """Whether a kudos_model_runs reason is this module's skip."""
    return str(reason).startswith(OFF_PREFIX)
