"""The sandbox athlete's activity files, as a device would have recorded them: FIT (written with
Garmin's FIT SDK encoder), GPX (gpxpy) and TCX, some gzipped, consistent with what the
sandbox's API serves for the activity (start, moving time, distance, heart rate, cadence, power,
temperature, start position).

One sample every ``INTERVAL`` seconds of moving time. Speed, heart rate and power wave around
the activity's averages; distance is scaled so that the last sample is the activity's distance.
"""

from __future__ import annotations

import gzip
import math
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import gpxpy.gpx
from garmin_fit_sdk import Encoder, Profile

INTERVAL = 5  # seconds between samples (a device's smart recording: 1 to 10 s)
_EARTH = 6_371_000.0
_GPX_EXTENSION = "http://www.garmin.com/xmlschemas/TrackPointExtension/v1"
_TCX = "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
_MESG = Profile["mesg_num"]
_SEMICIRCLES = 2**31 / 180  # FIT positions are in semicircles


@dataclass(frozen=True)
class Point:
    """One recorded sample."""

    time: datetime
    lat: float | None
    lng: float | None
    distance: float
    altitude: float | None
    heart_rate: int | None
    cadence: int | None
    power: int | None
    temperature: int | None


def _start(act: Mapping[str, Any]) -> datetime:
    return datetime.fromisoformat(act["start_date"].removesuffix("Z")).replace(
        tzinfo=timezone.utc)


def points(act: Mapping[str, Any]) -> list[Point]:
    """The activity's samples (none for a manual activity or one without moving time)."""
    moving = int(act.get("moving_time") or 0)
    if act.get("manual") or moving < INTERVAL:
        return []
    count = moving // INTERVAL + 1
    seed = act["id"] % 997
    weights = [1 + 0.12 * math.sin((i + seed) / 37) for i in range(count)]
    total = sum(weights[1:]) or 1.0
    distance_total = float(act.get("distance") or 0.0)
    start = _start(act)
    latlng = act.get("start_latlng") or []
    heading = math.radians(seed % 360)
    hr_avg, hr_max = act.get("average_heartrate"), act.get("max_heartrate")
    cadence, watts = act.get("average_cadence"), act.get("average_watts")
    low, high = act.get("elev_low"), act.get("elev_high")
    temp = act.get("average_temp")
    result, covered = [], 0.0
    for i in range(count):
        covered += distance_total * weights[i] / total if i else 0.0
        wave = math.sin((i + seed) / 23)
        lat = lng = None
        if len(latlng) == 2:
            lat = latlng[0] + math.degrees(covered * math.cos(heading) / _EARTH)
            lng = latlng[1] + math.degrees(covered * math.sin(heading) / _EARTH) / max(
                0.2, math.cos(math.radians(latlng[0])))
        heart = None
        if hr_avg:
            heart = round(min(hr_max or 220, hr_avg + 0.6 * ((hr_max or hr_avg + 15) - hr_avg)
                              * wave))
        altitude = None if low is None or high is None else low + (high - low) * (0.5 + 0.5 * wave)
        result.append(Point(start + timedelta(seconds=i * INTERVAL), lat, lng, covered, altitude,
                            heart, None if not cadence else round(cadence + 3 * wave),
                            None if watts is None else max(0, round(watts * (1 + 0.25 * wave))),
                            None if temp is None else round(temp)))
    return result


def fit_bytes(act: Mapping[str, Any], samples: list[Point]) -> bytes:
    """A FIT activity file (file id, timer start, records, timer stop), encoded by Garmin's
    FIT SDK."""
    encoder = Encoder()
    encoder.write_mesg({"mesg_num": _MESG["FILE_ID"], "type": "activity",
                        "manufacturer": "development", "product": 0,
                        "time_created": samples[0].time, "serial_number": act["id"] % 2**31})
    encoder.write_mesg(_timer("start", samples[0].time))
    for sample in samples:
        record: dict[str, Any] = {"mesg_num": _MESG["RECORD"], "timestamp": sample.time,
                                  "distance": sample.distance}
        if sample.lat is not None and sample.lng is not None:
            record["position_lat"] = round(sample.lat * _SEMICIRCLES)
            record["position_long"] = round(sample.lng * _SEMICIRCLES)
        for name in ("altitude", "heart_rate", "cadence", "power", "temperature"):
            value = getattr(sample, name)
            if value is not None:
                record[name] = value
        encoder.write_mesg(record)
    encoder.write_mesg(_timer("stop_all", samples[-1].time))
    return encoder.close()


def _timer(kind: str, moment: datetime) -> dict[str, Any]:
    return {"mesg_num": _MESG["EVENT"], "timestamp": moment, "event": "timer",
            "event_type": kind}


def gpx_bytes(act: Mapping[str, Any], samples: list[Point]) -> bytes:
    """A GPX track with Garmin's TrackPointExtension (heart rate, cadence, temperature)."""
    gpx = gpxpy.gpx.GPX()
    gpx.creator = "StravaGPX sandbox"
    gpx.nsmap["gpxtpx"] = _GPX_EXTENSION
    track = gpxpy.gpx.GPXTrack(name=act.get("name"))
    segment = gpxpy.gpx.GPXTrackSegment()
    track.segments.append(segment)
    gpx.tracks.append(track)
    for sample in samples:
        if sample.lat is None:
            continue
        point = gpxpy.gpx.GPXTrackPoint(sample.lat, sample.lng, elevation=sample.altitude,
                                        time=sample.time)
        extension = ET.Element(f"{{{_GPX_EXTENSION}}}TrackPointExtension")
        for tag, value in (("hr", sample.heart_rate), ("cad", sample.cadence),
                           ("atemp", sample.temperature)):
            if value is not None:
                ET.SubElement(extension, f"{{{_GPX_EXTENSION}}}{tag}").text = str(value)
        point.extensions.append(extension)
        segment.points.append(point)
    return gpx.to_xml().encode("utf-8")


def tcx_bytes(act: Mapping[str, Any], samples: list[Point]) -> bytes:
    """A TCX activity: one lap, one track, a trackpoint per sample."""
    ET.register_namespace("", _TCX)
    root = ET.Element(f"{{{_TCX}}}TrainingCenterDatabase")
    sport = act.get("sport_type") or act.get("type") or ""  # older shapes have type only
    activity = ET.SubElement(ET.SubElement(root, f"{{{_TCX}}}Activities"), f"{{{_TCX}}}Activity",
                             Sport="Running" if "Run" in sport else "Other")
    ET.SubElement(activity, f"{{{_TCX}}}Id").text = _iso(samples[0].time)
    lap = ET.SubElement(activity, f"{{{_TCX}}}Lap", StartTime=_iso(samples[0].time))
    ET.SubElement(lap, f"{{{_TCX}}}TotalTimeSeconds").text = str(act["moving_time"])
    ET.SubElement(lap, f"{{{_TCX}}}DistanceMeters").text = str(act.get("distance") or 0)
    track = ET.SubElement(lap, f"{{{_TCX}}}Track")
    for sample in samples:
        point = ET.SubElement(track, f"{{{_TCX}}}Trackpoint")
        ET.SubElement(point, f"{{{_TCX}}}Time").text = _iso(sample.time)
        if sample.lat is not None:
            position = ET.SubElement(point, f"{{{_TCX}}}Position")
            ET.SubElement(position, f"{{{_TCX}}}LatitudeDegrees").text = f"{sample.lat:.7f}"
            ET.SubElement(position, f"{{{_TCX}}}LongitudeDegrees").text = f"{sample.lng:.7f}"
        if sample.altitude is not None:
            ET.SubElement(point, f"{{{_TCX}}}AltitudeMeters").text = f"{sample.altitude:.1f}"
        ET.SubElement(point, f"{{{_TCX}}}DistanceMeters").text = f"{sample.distance:.2f}"
        if sample.heart_rate is not None:
            heart = ET.SubElement(point, f"{{{_TCX}}}HeartRateBpm")
            ET.SubElement(heart, f"{{{_TCX}}}Value").text = str(sample.heart_rate)
        if sample.cadence is not None:
            ET.SubElement(point, f"{{{_TCX}}}Cadence").text = str(sample.cadence)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def api_streams(act: Mapping[str, Any]) -> dict[str, Any]:
    """The activity's samples as the API's ``/activities/{id}/streams?key_by_type=true``."""
    samples = points(act)
    start = samples[0].time if samples else None
    streams: dict[str, Any] = {
        "time": [(s.time - start).total_seconds() for s in samples] if start else [],
        "distance": [round(s.distance, 1) for s in samples],
        "moving": [True for _ in samples],
    }
    if samples and samples[0].lat is not None:
        streams["latlng"] = [[s.lat, s.lng] for s in samples]
    for key, name in (("altitude", "altitude"), ("heartrate", "heart_rate"),
                      ("cadence", "cadence"), ("watts", "power"), ("temp", "temperature")):
        values = [getattr(s, name) for s in samples]
        if samples and values[0] is not None:
            streams[key] = values
    return {key: {"data": data, "series_type": "time", "original_size": len(data),
                  "resolution": "high"} for key, data in streams.items()}


def activity_file(act: Mapping[str, Any]) -> tuple[str, bytes] | None:
    """(name in the archive, bytes) of the activity's file, or None (manual, no samples).

    FIT for two activities in four (gzipped, as Strava stores uploads), GPX (plain or gzipped)
    for one in four when it has a position, TCX (gzipped) otherwise."""
    samples = points(act)
    if not samples:
        return None
    kind = act["id"] % 4
    has_position = samples[0].lat is not None
    if kind in (0, 1):
        name, data = f"activities/{act['id']}.fit", fit_bytes(act, samples)
    elif kind == 2 and has_position:
        name, data = f"activities/{act['id']}.gpx", gpx_bytes(act, samples)
    else:
        name, data = f"activities/{act['id']}.tcx", tcx_bytes(act, samples)
    if name.endswith(".fit") or act["id"] % 3:
        return f"{name}.gz", gzip.compress(data, mtime=0)
    return name, data
