"""One activity file (FIT, GPX or TCX, each maybe gzipped) to its samples.

The libraries, pinned in pyproject.toml (docs/archive.md says why these):

* FIT: Garmin's own FIT SDK (``garmin-fit-sdk``): the reference decoder, kept in step with the
  FIT profile; the file's CRC is checked before anything is read.
* GPX: ``gpxpy``, with Garmin's TrackPointExtension read for heart rate, cadence, temperature.
* TCX: ``tcxreader`` (it reads from a path, so the bytes go through a temporary file).

Samples are put in time order; a repeated time stamp keeps its first sample; both are counted in
a note. Distance missing from a GPX is computed from the positions (gpxpy's haversine).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

SEMICIRCLE = 180 / 2**31
MOVING_SPEED = 0.5  # m/s: slower between two samples counts as stopped

# The columns of activity_streams, in order (migration 0005).
STREAM_COLUMNS = ("activity_id", "elapsed_seconds", "lat", "lng", "distance", "altitude",
                  "heart_rate", "cadence", "power", "temperature", "moving")


class StreamError(ValueError):
    """An activity file that cannot be read as samples; the message is one line."""


@dataclass
class Raw:
    """One sample as read, before it is ordered and given its elapsed time."""

    time: datetime
    lat: float | None = None
    lng: float | None = None
    distance: float | None = None
    altitude: float | None = None
    heart_rate: float | None = None
    cadence: float | None = None
    power: float | None = None
    temperature: float | None = None


@dataclass
class Parsed:
    """An activity's samples as activity_streams rows, and what was changed on the way."""

    rows: list[tuple[Any, ...]] = field(default_factory=list)
    out_of_order: int = 0
    duplicated: int = 0

    def note(self) -> str | None:
        """One line when samples were reordered or dropped; None otherwise."""
        if not (self.out_of_order or self.duplicated):
            return None
        return (f"{self.out_of_order} samples out of order (sorted), {self.duplicated} "
                "duplicated time stamps (the first sample of each kept)")


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def read_fit(data: bytes) -> list[Raw]:
    """FIT records; StreamError for a file that is not FIT or fails its CRC."""
    from garmin_fit_sdk import Decoder, Stream  # imported when a FIT file comes (start-up)

    if not Decoder(Stream.from_byte_array(bytearray(data))).is_fit():
        raise StreamError("not a FIT file")
    if not Decoder(Stream.from_byte_array(bytearray(data))).check_integrity():
        raise StreamError("the FIT file fails its CRC check (corrupt or truncated)")
    messages, errors = Decoder(Stream.from_byte_array(bytearray(data))).read()
    if errors:
        raise StreamError(f"the FIT file cannot be decoded: {str(errors[0])[:120]}")
    samples = []
    for record in messages.get("record_mesgs", []):
        if record.get("timestamp") is None:
            continue
        lat, lng = record.get("position_lat"), record.get("position_long")
        samples.append(Raw(
            _utc(record["timestamp"]),
            None if lat is None else lat * SEMICIRCLE, None if lng is None else lng * SEMICIRCLE,
            record.get("distance"),
            record.get("enhanced_altitude", record.get("altitude")),
            record.get("heart_rate"), record.get("cadence"), record.get("power"),
            record.get("temperature")))
    return samples


def _extension_values(point: Any) -> dict[str, float]:
    values = {}
    for extension in point.extensions:
        for element in [extension, *list(extension)]:
            tag = element.tag.rpartition("}")[2].lower()
            if tag in {"hr", "cad", "atemp", "power"} and element.text:
                try:
                    values[tag] = float(element.text)
                except ValueError:
                    continue
    return values


def read_gpx(data: bytes) -> list[Raw]:
    """GPX track points; StreamError when the GPX does not parse or has no time stamps."""
    import gpxpy  # imported when a GPX file comes, as FIT's decoder (issue 23: start-up)
    import gpxpy.geo
    import gpxpy.gpx

    try:
        gpx = gpxpy.parse(data.decode("utf-8-sig"))
    except (gpxpy.gpx.GPXException, UnicodeDecodeError, ValueError) as error:
        raise StreamError(f"the GPX file does not parse ({str(error)[:120]})") from None
    points = [point for track in gpx.tracks for segment in track.segments
              for point in segment.points]
    if points and all(point.time is None for point in points):
        raise StreamError("the GPX file has no time stamps: its samples cannot be placed in "
                          "time (no stream kept; the activity itself is imported)")
    samples, distance, previous = [], 0.0, None
    for point in points:
        if point.time is None:
            continue
        if previous is not None:
            distance += gpxpy.geo.haversine_distance(previous.latitude, previous.longitude,
                                                     point.latitude, point.longitude)
        previous = point
        extra = _extension_values(point)
        samples.append(Raw(_utc(point.time), point.latitude, point.longitude, distance,
                           point.elevation, extra.get("hr"), extra.get("cad"),
                           extra.get("power"), extra.get("atemp")))
    return samples


def read_tcx(data: bytes) -> list[Raw]:
    """TCX track points (heart rate, cadence and power may be missing)."""
    from tcxreader.tcxreader import TCXReader  # imported when a TCX file comes (start-up)

    descriptor, path = tempfile.mkstemp(suffix=".tcx", prefix="stream-")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        try:
            exercise = TCXReader().read(path, only_gps=False)
        except Exception as error:  # tcxreader raises what its XML parser raises
            raise StreamError(f"the TCX file does not parse ({str(error)[:120]})") from None
    finally:
        os.unlink(path)
    samples = []
    for point in exercise.trackpoints:
        if point.time is None:
            continue
        watts = (point.tpx_ext or {}).get("Watts")
        samples.append(Raw(_utc(point.time), point.latitude, point.longitude, point.distance,
                           point.elevation, point.hr_value, point.cadence, watts, None))
    return samples


READERS = {"fit": read_fit, "gpx": read_gpx, "tcx": read_tcx}


def file_format(name: str) -> str | None:
    """'fit', 'gpx' or 'tcx' for 'activities/1.fit.gz' and the like; None for others."""
    stem = name.lower().removesuffix(".gz")
    kind = stem.rpartition(".")[2]
    return kind if kind in READERS else None


def to_rows(activity_id: int, samples: Iterable[Raw]) -> Parsed:
    """Samples ordered by time, one per time stamp, as activity_streams rows."""
    listed = list(samples)
    parsed = Parsed()
    parsed.out_of_order = sum(1 for a, b in zip(listed, listed[1:], strict=False)
                              if b.time < a.time)
    ordered = sorted(listed, key=lambda sample: sample.time)
    previous: Raw | None = None
    start = ordered[0].time if ordered else None
    for sample in ordered:
        if previous is not None and sample.time == previous.time:
            parsed.duplicated += 1
            continue
        moving = True
        if previous is not None and sample.distance is not None \
                and previous.distance is not None:
            seconds = (sample.time - previous.time).total_seconds()
            moving = (sample.distance - previous.distance) / seconds >= MOVING_SPEED
        parsed.rows.append((activity_id, (sample.time - start).total_seconds(), sample.lat,
                            sample.lng, sample.distance, sample.altitude, sample.heart_rate,
                            sample.cadence, sample.power, sample.temperature, moving))
        previous = sample
    return parsed


def parse_file(activity_id: int, name: str, data: bytes) -> Parsed:
    """An activity file's samples as rows; StreamError (one line) when it cannot be read."""
    kind = file_format(name)
    if kind is None:
        raise StreamError(f"{name}: not a FIT, GPX or TCX file")
    return to_rows(activity_id, READERS[kind](data))
