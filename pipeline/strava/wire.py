"""Strava's pages decoded and validated once, in C (msgspec typed structs; issue 23).

A page of the activity list arrives as bytes. ``decode_page`` reads only what paging needs (each
activity's id and start, in C) and keeps the bytes: the extract spools them as they came. Later,
``decode_activities`` decodes a spooled page into typed structs whose field types ARE the
parser's rules (``pipeline.strava.activities.parse_problem``): a positive 64-bit id, integers
(or integral floats such as Strava's ``utc_offset: -14400.0``) within 64 bits, finite numbers,
booleans, texts; ``typed_frame_of`` turns a chunk of them into the typed frame column by column.

What msgspec does not accept goes the Python way, activity by activity, with the same result as
before: a page that is not strict UTF-8 JSON (invalid UTF-8, NaN, a lone surrogate) is decoded
leniently by the client (``StravaClient.lenient_json``); a page with an activity of an odd
shape (a wrong type, ``""`` for a number, a missing id) is parsed by ``parse_problem`` +
``parse_activity``. Start times in Strava's form (``YYYY-MM-DDTHH:MM:SSZ``) are parsed for the
whole chunk at once; another form (an offset) is parsed as before, one activity at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any

import msgspec

from pipeline.strava.activities import ACTIVITY_COLUMNS, iana_timezone

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

# The parser's rules as types (pipeline/strava/activities.py, _fits).
Int64 = (Annotated[int, msgspec.Meta(ge=-(2**63 - 1), le=2**63 - 1)]
         | Annotated[float, msgspec.Meta(multiple_of=1, gt=-(2.0**63), lt=2.0**63)] | None)
_TYPES: dict[str, Any] = {"Int64": Int64, "Float64": float | None, "boolean": bool | None,
                          "string": str | None}
STRAVA_TIME = "%Y-%m-%dT%H:%M:%SZ"


class AthleteRef(msgspec.Struct, gc=False):
    """The activity's athlete: its id only."""

    id: Int64 = None


class MapSummary(msgspec.Struct, gc=False):
    """The activity's map: its summary polyline only."""

    summary_polyline: str | None = None


# Columns copied under the same key (and sport_type), typed as the column.
_PLAIN = [name for name in ACTIVITY_COLUMNS
          if name not in {"id", "athlete_id", "start_date", "start_date_local", "lat", "lng",
                          "end_lat", "end_lng", "summary_polyline", "extracted_at"}]

Activity = msgspec.defstruct(
    "Activity",
    [("id", Annotated[int, msgspec.Meta(gt=0, le=2**63 - 1)]),
     *[(name, _TYPES[ACTIVITY_COLUMNS[name]], None) for name in _PLAIN],
     ("start_date", str | None, None), ("start_date_local", str | None, None),
     ("athlete", AthleteRef | None, None), ("map", MapSummary | None, None),
     ("start_latlng", list[float] | None, None), ("end_latlng", list[float] | None, None)],
    gc=False,
    module=__name__,
)


class Head(msgspec.Struct, gc=False):
    """What paging needs of an activity: its id and start (any JSON value)."""

    id: Any = None
    start_date: Any = None


_HEADS = msgspec.json.Decoder(list[Head])
_ACTIVITIES = msgspec.json.Decoder(list[Activity])
_RAW = msgspec.json.Decoder(list[msgspec.Raw])


class RawPage(list):  # type: ignore[type-arg]
    """A page of the activity list: its activities' heads (or, decoded leniently, the
    activities themselves), the bytes as read (None when decoded leniently) and the ids."""

    body: bytes | None
    ids: set[int]

    @classmethod
    def of(cls, items: list[Any], body: bytes | None) -> RawPage:
        """A page of ``items`` read as ``body``."""
        page = cls(items)
        page.body = body
        if body is not None:  # heads: the ids at C speed when all are integers
            values = [item.id for item in items]
            if set(map(type, values)) <= {int}:
                page.ids = set(values)
                return page
        page.ids = {item["id"] if isinstance(item, dict) else item.id for item in items
                    if _id_of(item) is not None}
        return page

    def newest_start(self) -> Any:
        """The last activity's start_date as sent (None when there is none)."""
        if not self:
            return None
        last = self[-1]
        return last.get("start_date") if isinstance(last, dict) else last.start_date


def _id_of(item: Any) -> int | None:
    value = item.get("id") if isinstance(item, dict) else getattr(item, "id", None)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def decode_page(lenient: Callable[[bytes], Any], body: bytes) -> Any:
    """A page's heads with its bytes kept (strict UTF-8 JSON, in C); otherwise the page as
    ``lenient`` decodes it (a RawPage of dicts, or what it is when not a list)."""
    try:
        return RawPage.of(_HEADS.decode(body), body)
    except (msgspec.DecodeError, ValueError):
        page = lenient(body)
        return RawPage.of(page, None) if isinstance(page, list) else page


def activity_id(item: Any) -> Any:
    """The id of a head or of a decoded activity (None when it has none)."""
    if isinstance(item, dict):
        return item.get("id")
    return getattr(item, "id", None)


def decode_activities(body: bytes) -> list[Any] | None:
    """The page's activities as typed structs, or None when one of them breaks a rule (the
    page then goes the Python way)."""
    try:
        return _ACTIVITIES.decode(body)
    except (msgspec.DecodeError, ValueError):
        return None


def raw_items(body: bytes) -> list[bytes]:
    """Each activity of a page as the bytes sent (a JSON value each)."""
    return [bytes(item) for item in _RAW.decode(body)]


def raw_views(body: bytes) -> list[msgspec.Raw]:
    """``raw_items`` without the copies: each a view of ``body`` (bytes-like)."""
    return _RAW.decode(body)


@lru_cache(maxsize=1024)
def _zone(value: str | None) -> str | None:
    return iana_timezone(value)


_FIELDS = Activity.__struct_fields__
_AT = {name: index for index, name in enumerate(_FIELDS)}


def _strings(values: tuple[Any, ...]) -> Any:
    import numpy as np

    # '' is NULL; texts stay Python objects (what the CSV writer reads), not a StringArray,
    # whose per-value checks cost more than the rest of the column's typing.
    return np.array([value or None for value in values], dtype=object)


def _floats(values: tuple[Any, ...]) -> Any:
    import numpy as np
    import pandas as pd

    data = np.array(values, dtype=np.float64)  # None becomes NaN; msgspec never gives NaN
    return pd.arrays.FloatingArray(data, np.isnan(data))


def _integers(values: tuple[Any, ...]) -> Any:
    import numpy as np
    import pandas as pd

    data = np.array(values, dtype=object)
    mask = np.equal(data, None)
    if mask.any():
        data[mask] = 0
    return pd.arrays.IntegerArray(data.astype(np.int64), mask)


def _booleans(values: tuple[Any, ...]) -> Any:
    import numpy as np
    import pandas as pd

    data = np.array(values, dtype=object)
    return pd.arrays.BooleanArray(np.equal(data, True), np.equal(data, None))


_CONVERT = {"Int64": _integers, "Float64": _floats, "boolean": _booleans, "string": _strings}


def _point(points: tuple[Any, ...], index: int) -> tuple[Any, ...]:
    return tuple(p[index] if p is not None and len(p) == 2 else None for p in points)


def _times(texts: tuple[Any, ...]) -> tuple[Any, Any]:
    """Strava's times (``YYYY-MM-DDTHH:MM:SSZ``) as datetime64[us]; and which are missing or in
    another form (NaT here)."""
    import numpy as np
    import pandas as pd

    if all(isinstance(t, str) and len(t) == 20 and t[10] == "T" and t[19] == "Z"
           for t in texts):
        try:
            return (np.array([t[:19] for t in texts], dtype="datetime64[s]")
                    .astype("datetime64[us]"), np.zeros(len(texts), dtype=bool))
        except ValueError:
            pass
    parsed = pd.to_datetime(pd.Series(texts, dtype=object), format=STRAVA_TIME,
                            errors="coerce").astype("datetime64[us]")
    return parsed.to_numpy(), parsed.isna().to_numpy()


def typed_frame_of(activities: list[Any], extracted_at: datetime
                   ) -> tuple[pd.DataFrame, np.ndarray, int]:
    """The typed frame of decoded activities (not de-duplicated, in their order), which of
    them have no start_date or a start time not in Strava's form (the caller parses those one
    by one, as before), and how many took ``type`` as ``sport_type``."""
    import numpy as np
    import pandas as pd

    fields = list(zip(*map(msgspec.structs.astuple, activities), strict=True))
    at = {name: fields[index] for name, index in _AT.items()}
    columns: dict[str, Any] = {name: at[name] for name in _PLAIN}
    columns["id"] = at["id"]
    columns["athlete_id"] = tuple(a.id if a is not None else None for a in at["athlete"])
    own, kinds = at["sport_type"], at["type"]
    columns["sport_type"] = tuple(mine or kind for mine, kind in zip(own, kinds, strict=True))
    from_type = sum(1 for mine, kind in zip(own, kinds, strict=True) if not mine and kind)
    columns["timezone"] = tuple(map(_zone, at["timezone"]))
    starts, ends = at["start_latlng"], at["end_latlng"]
    columns.update(lat=_point(starts, 0), lng=_point(starts, 1), end_lat=_point(ends, 0),
                   end_lng=_point(ends, 1))
    columns["summary_polyline"] = tuple(m.summary_polyline if m is not None else None
                                        for m in at["map"])
    frame: dict[str, Any] = {}
    odd = np.zeros(len(activities), dtype=bool)
    for name, dtype in ACTIVITY_COLUMNS.items():
        if name == "extracted_at":
            stamp = np.datetime64(extracted_at.replace(tzinfo=None, microsecond=0), "us")
            frame[name] = np.full(len(activities), stamp, dtype="datetime64[us]")
        elif dtype.startswith("datetime"):
            frame[name], missing = _times(at[name])
            odd |= missing & np.array([bool(t) for t in at[name]], dtype=bool)
            if name == "start_date":
                odd |= missing  # no start_date is a reason too
        else:
            frame[name] = _CONVERT[dtype](columns[name])
    return pd.DataFrame(frame), odd, from_type
