"""Every setting of the pipeline, read in one place.

Precedence: environment variable > ``luigi.cfg`` (section and option below) > default in code.
Defaults live here rather than in ``luigi.cfg`` because Luigi's ``${VAR}`` interpolation fails on
a missing variable, and a fresh machine has none of them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from luigi import configuration

from pipeline.project import base_dir


class ConfigurationError(Exception):
    """A setting is missing or contradicts another one; the message says which and what to do."""


# (field, environment variable, luigi.cfg section, luigi.cfg option, default)
# Defaults that mention {data_dir} are resolved against the DATA_DIR in force, made absolute
# (so "sqlite://" + "/srv/data/state.db" is the usual three-slash form).
_SOURCES: tuple[tuple[str, str, str, str, str], ...] = (
    ("data_dir", "DATA_DIR", "pipeline", "data_dir", "./data"),
    ("lake_url", "LAKE_URL", "pipeline", "lake_url", "file://{data_dir}/lake"),
    ("state_url", "STATE_URL", "pipeline", "state_url", "sqlite://{data_dir}/state.db"),
    (
        "warehouse_url",
        "WAREHOUSE_URL",
        "pipeline",
        "warehouse_url",
        "duckdb://{data_dir}/warehouse.duckdb",
    ),
    ("athlete_timezone", "ATHLETE_TIMEZONE", "pipeline", "athlete_timezone", ""),
    ("lookback_days", "STRAVA_LOOKBACK_DAYS", "strava", "lookback_days", "14"),
    ("strava_client_id", "STRAVA_CLIENT_ID", "strava", "client_id", ""),
    ("strava_client_secret", "STRAVA_CLIENT_SECRET", "strava", "client_secret", ""),
    ("strava_refresh_token", "STRAVA_REFRESH_TOKEN", "strava", "refresh_token", ""),
    ("strava_api_url", "STRAVA_API_URL", "strava", "api_url", "https://www.strava.com/api/v3"),
    ("strava_auth_url", "STRAVA_AUTH_URL", "strava", "auth_url", "https://www.strava.com/oauth/token"),
    (
        "max_rate_limit_wait_seconds",
        "STRAVA_MAX_RATE_LIMIT_WAIT",
        "strava",
        "max_rate_limit_wait_seconds",
        "960",
    ),
    ("connect_timeout", "STRAVA_CONNECT_TIMEOUT", "strava", "connect_timeout", "10"),
    ("read_timeout", "STRAVA_READ_TIMEOUT", "strava", "read_timeout", "60"),
    ("max_attempts", "STRAVA_MAX_ATTEMPTS", "strava", "max_attempts", "5"),
    ("slack_webhook_url", "SLACK_WEBHOOK_URL", "slack", "webhook_url", ""),
    ("slack_timeout_seconds", "SLACK_TIMEOUT", "slack", "timeout_seconds", "5"),
    ("run_lock_wait_seconds", "RUN_LOCK_WAIT", "pipeline", "run_lock_wait_seconds", "3600"),
    # issue 26: several workers on the embedded DuckDB take turns at its one writer
    ("warehouse_lock_wait_seconds", "WAREHOUSE_LOCK_WAIT", "pipeline",
     "warehouse_lock_wait_seconds", "600"),
    ("validation_checks_file", "VALIDATION_CHECKS_FILE", "validation", "checks_file", ""),
    (
        "validation_min_history_weeks",
        "VALIDATION_MIN_HISTORY_WEEKS",
        "validation",
        "min_history_weeks",
        "4",
    ),
    ("kudos_min_activities", "KUDOS_MIN_ACTIVITIES", "kudos", "min_activities", "200"),
    ("kudos_model", "KUDOS_MODEL", "kudos", "model", ""),
    ("kudos_settle_days", "KUDOS_SETTLE_DAYS", "kudos", "settle_days", "7"),
    # issue 23: the kudos model retrains when due (pipeline/kudos/schedule.py)
    ("kudos_retrain_every_weeks", "KUDOS_RETRAIN_EVERY_WEEKS", "kudos", "retrain_every_weeks",
     "4"),
    ("kudos_retrain_drift_share", "KUDOS_RETRAIN_DRIFT_SHARE", "kudos", "retrain_drift_share",
     "0.1"),
    ("s3_endpoint_url", "AWS_ENDPOINT_URL_S3", "s3", "endpoint_url", ""),
    ("redshift_iam_role", "REDSHIFT_IAM_ROLE", "redshift", "iam_role", ""),
    ("redshift_copy_region", "REDSHIFT_COPY_REGION", "redshift", "copy_region", ""),
    # issue 20: reconciliation and webhook events
    ("reconcile_every_weeks", "RECONCILE_EVERY_WEEKS", "strava", "reconcile_every_weeks", "4"),
    ("reconcile_max_delete_share", "RECONCILE_MAX_DELETE_SHARE", "strava",
     "reconcile_max_delete_share", "0.05"),
    ("webhook_verify_token", "STRAVA_WEBHOOK_VERIFY_TOKEN", "webhook", "verify_token", ""),
)

ENVIRONMENT_VARIABLES: tuple[str, ...] = tuple(source[1] for source in _SOURCES)


@dataclass(frozen=True)
class Settings:
    """The resolved configuration of one pipeline run."""

    data_dir: Path
    lake_url: str
    state_url: str
    warehouse_url: str
    lookback_days: int
    strava_client_id: str
    strava_client_secret: str
    strava_refresh_token: str
    strava_api_url: str
    strava_auth_url: str
    max_rate_limit_wait_seconds: float
    connect_timeout: float
    read_timeout: float
    max_attempts: int
    slack_webhook_url: str
    slack_timeout_seconds: float = 5.0
    validation_checks_file: str = ""
    validation_min_history_weeks: int = 4
    kudos_min_activities: int = 200
    s3_endpoint_url: str = ""
    redshift_iam_role: str = ""
    redshift_copy_region: str = ""
    athlete_timezone: str = ""
    run_lock_wait_seconds: float = 3600.0
    warehouse_lock_wait_seconds: float = 600.0
    reconcile_every_weeks: int = 4
    reconcile_max_delete_share: float = 0.05
    webhook_verify_token: str = ""
    kudos_model: str = ""  # "on", "off", or "" (on for the sandbox only: pipeline/kudos/terms.py)
    kudos_settle_days: int = 7
    kudos_retrain_every_weeks: int = 4
    kudos_retrain_drift_share: float = 0.1

    @property
    def extract_dir(self) -> Path:
        """Folder of the dated local extracts."""
        return self.data_dir / "extract"

    @property
    def reports_dir(self) -> Path:
        """Folder of the dated dashboards."""
        return self.data_dir / "reports"

    @property
    def token_store_path(self) -> Path:
        """File holding the newest Strava tokens (mode 0600)."""
        return self.data_dir / "strava_tokens.json"

    def __repr__(self) -> str:  # never print secrets by accident
        return f"Settings(data_dir={str(self.data_dir)!r}, ...)"


def _raw_value(env_name: str, section: str, option: str, default: str) -> str:
    if env_name in os.environ:
        return os.environ[env_name]
    return str(configuration.get_config().get(section, option, default))


def _is_default(env_name: str, section: str, option: str) -> bool:
    return env_name not in os.environ and not configuration.get_config().has_option(
        section, option)


SECRET_SETTINGS = frozenset({"STRAVA_CLIENT_SECRET", "STRAVA_REFRESH_TOKEN", "SLACK_WEBHOOK_URL"})


def setting_sources() -> list[tuple[str, str, str]]:
    """(environment variable, value as given, where it came from: 'environment',
    'luigi.cfg [section] option' or 'default') for every setting, in a fixed order."""
    rows = []
    for _field, env_name, section, option, default in _SOURCES:
        if env_name in os.environ:
            source = "environment"
        elif configuration.get_config().has_option(section, option):
            source = f"luigi.cfg [{section}] {option}"
        else:
            source = "default"
        rows.append((env_name, _raw_value(env_name, section, option, default), source))
    return rows


def explicit_location(field: str) -> bool:
    """Whether a location setting (``lake_url``, ``state_url``, ``warehouse_url``) was set in the
    environment or luigi.cfg to a path of its own (not the default, not under ``{data_dir}``)."""
    for name, env_name, section, option, _default in _SOURCES:
        if name == field:
            return (not _is_default(env_name, section, option)
                    and "{data_dir}" not in _raw_value(env_name, section, option, ""))
    raise KeyError(field)


def _as_number(name: str, raw: str, kind: type) -> float | int:
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigurationError(
            f"{name}={raw!r} is not a number: set it to a {kind.__name__} "
            "in the environment or luigi.cfg"
        ) from None
    if value < 0:
        raise ConfigurationError(f"{name}={raw!r} must not be negative")
    return value


def load_settings() -> Settings:
    """Resolve every setting from the environment, luigi.cfg and the code defaults."""
    raw = {}
    for field, env_name, section, option, default in _SOURCES:
        raw[field] = _raw_value(env_name, section, option, default)
    data_dir = Path(raw["data_dir"]).expanduser()
    if not data_dir.is_absolute() and _is_default("DATA_DIR", "pipeline", "data_dir"):
        # The default ./data is the checkout's, whichever folder a command runs from.
        data_dir = base_dir() / data_dir
    data_dir = data_dir.absolute()
    for field in ("lake_url", "state_url", "warehouse_url"):
        raw[field] = raw[field].replace("{data_dir}", str(data_dir))
    return Settings(
        data_dir=data_dir,
        lake_url=raw["lake_url"],
        state_url=raw["state_url"],
        warehouse_url=raw["warehouse_url"],
        lookback_days=int(_as_number("STRAVA_LOOKBACK_DAYS", raw["lookback_days"], int)),
        strava_client_id=raw["strava_client_id"],
        strava_client_secret=raw["strava_client_secret"],
        strava_refresh_token=raw["strava_refresh_token"],
        strava_api_url=raw["strava_api_url"].rstrip("/"),
        strava_auth_url=raw["strava_auth_url"],
        max_rate_limit_wait_seconds=float(
            _as_number("STRAVA_MAX_RATE_LIMIT_WAIT", raw["max_rate_limit_wait_seconds"], float)
        ),
        connect_timeout=float(
            _as_number("STRAVA_CONNECT_TIMEOUT", raw["connect_timeout"], float)
        ),
        read_timeout=float(_as_number("STRAVA_READ_TIMEOUT", raw["read_timeout"], float)),
        max_attempts=max(1, int(_as_number("STRAVA_MAX_ATTEMPTS", raw["max_attempts"], int))),
        slack_webhook_url=raw["slack_webhook_url"],
        slack_timeout_seconds=float(
            _as_number("SLACK_TIMEOUT", raw["slack_timeout_seconds"], float)
        ),
        validation_checks_file=raw["validation_checks_file"].strip(),
        validation_min_history_weeks=int(_as_number(
            "VALIDATION_MIN_HISTORY_WEEKS", raw["validation_min_history_weeks"], int
        )),
        kudos_min_activities=int(_as_number(
            "KUDOS_MIN_ACTIVITIES", raw["kudos_min_activities"], int
        )),
        s3_endpoint_url=raw["s3_endpoint_url"].strip(),
        redshift_iam_role=raw["redshift_iam_role"].strip(),
        redshift_copy_region=raw["redshift_copy_region"].strip(),
        athlete_timezone=raw["athlete_timezone"].strip(),
        warehouse_lock_wait_seconds=float(
            _as_number("WAREHOUSE_LOCK_WAIT", raw["warehouse_lock_wait_seconds"], float)),
        run_lock_wait_seconds=float(
            _as_number("RUN_LOCK_WAIT", raw["run_lock_wait_seconds"], float)
        ),
        reconcile_every_weeks=int(_as_number(
            "RECONCILE_EVERY_WEEKS", raw["reconcile_every_weeks"], int)),
        reconcile_max_delete_share=float(_as_number(
            "RECONCILE_MAX_DELETE_SHARE", raw["reconcile_max_delete_share"], float)),
        webhook_verify_token=raw["webhook_verify_token"].strip(),
        kudos_model=_on_off("KUDOS_MODEL", raw["kudos_model"]),
        kudos_settle_days=int(_as_number("KUDOS_SETTLE_DAYS", raw["kudos_settle_days"], int)),
        kudos_retrain_every_weeks=int(_as_number(
            "KUDOS_RETRAIN_EVERY_WEEKS", raw["kudos_retrain_every_weeks"], int)),
        kudos_retrain_drift_share=float(_as_number(
            "KUDOS_RETRAIN_DRIFT_SHARE", raw["kudos_retrain_drift_share"], float)),
    )


def _on_off(name: str, raw: str) -> str:
    """'on', 'off' or '' (the setting's default rule), whatever the case and spaces."""
    value = raw.strip().lower()
    if value not in {"on", "off", ""}:
        raise ConfigurationError(
            f"{name}={raw!r} is neither on nor off: set it to on or off in the environment "
            "or luigi.cfg, or leave it unset")
    return value
