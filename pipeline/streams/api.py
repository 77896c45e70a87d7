"""Strava's ``GET /activities/{id}/streams`` answer (``key_by_type=true``) to samples.

Each stream is ``{"data": [...]}`` keyed by type: ``time`` (seconds from the start), ``latlng``
([lat, lng] pairs), ``distance``, ``altitude``, ``heartrate``, ``cadence``, ``watts``, ``temp``,
``moving``. The samples go through the same ordering and de-duplication as a file's.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from pipeline.streams.parse import Parsed, Raw, StreamError, to_rows

STREAM_KEYS = ("time", "latlng", "distance", "altitude", "heartrate", "cadence", "watts",
               "temp", "moving")
_ORIGIN = datetime(2000, 1, 1, tzinfo=timezone.utc)  # only differences of time count


def _data(streams: dict[str, Any], key: str, length: int) -> list[Any]:
    stream = streams.get(key)
    data = stream.get("data") if isinstance(stream, dict) else None
    if not isinstance(data, list) or len(data) != length:
        return [None] * length
    return data


def parse_api_streams(activity_id: int, streams: Any) -> Parsed:
    """The answer as activity_streams rows; StreamError when it has no time stream."""
    if not isinstance(streams, dict) or not isinstance(streams.get("time"), dict):
        raise StreamError("the streams answer has no time stream")
    times = streams["time"].get("data") or []
    length = len(times)
    latlng = _data(streams, "latlng", length)
    columns = {key: _data(streams, key, length) for key in
               ("distance", "altitude", "heartrate", "cadence", "watts", "temp")}
    samples = []
    for index, seconds in enumerate(times):
        point = latlng[index] if isinstance(latlng[index], list) and len(latlng[index]) == 2 \
            else (None, None)
        samples.append(Raw(_ORIGIN + timedelta(seconds=float(seconds)), point[0], point[1],
                           columns["distance"][index], columns["altitude"][index],
                           columns["heartrate"][index], columns["cadence"][index],
                           columns["watts"][index], columns["temp"][index]))
    return to_rows(activity_id, samples)
