"""The archive's settings (environment variable > luigi.cfg ``[archive]`` > default), read the
way pipeline/settings.py reads every other one."""

from __future__ import annotations

from pipeline.archive.source import ArchiveLimits
from pipeline.settings import ConfigurationError, _as_number, _raw_value

_ON = {"on", "true", "1", "yes"}
_OFF = {"off", "false", "0", "no", ""}


def flag_setting(env_name: str, option: str) -> bool:
    """An on/off setting of [archive] (environment variable first); one line when neither."""
    raw = _raw_value(env_name, "archive", option, "off").strip().lower()
    if raw not in _ON | _OFF:
        raise ConfigurationError(f"{env_name}={raw!r} is neither on nor off: set it to on or off")
    return raw in _ON


def archive_only() -> bool:
    """ARCHIVE_ONLY=on: no Strava application; the weekly run reads nothing from Strava and
    its activities come from `strava-pipeline import-archive` (default off)."""
    return flag_setting("ARCHIVE_ONLY", "archive_only")


def archive_limits() -> ArchiveLimits:
    """ARCHIVE_MAX_UNPACKED_BYTES (whole archive, default 20 GiB) and ARCHIVE_MAX_FILE_BYTES
    (one file, gunzipped, default 512 MiB): what reading an archive may unpack."""
    default = ArchiveLimits()
    total = _raw_value("ARCHIVE_MAX_UNPACKED_BYTES", "archive", "max_unpacked_bytes",
                       str(default.max_unpacked_bytes))
    one = _raw_value("ARCHIVE_MAX_FILE_BYTES", "archive", "max_file_bytes",
                     str(default.max_file_bytes))
    return ArchiveLimits(int(_as_number("ARCHIVE_MAX_UNPACKED_BYTES", total, int)),
                         int(_as_number("ARCHIVE_MAX_FILE_BYTES", one, int)))
