"""Activity ids as Strava hands them out: one global sequence that grows with time.

Strava's activity ids are not per athlete: they count every upload on Strava, so an athlete's
ids jump by thousands to millions between activities and grow faster every year (tens of
millions in 2013, past 2^31 in 2019, about 11 billion in 2024). The sandbox derives an
activity's id from its start time along that curve (approximate anchors, one per January), so an
id depends on when the activity happened, never on the history it is part of.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime, timezone

# (year, approximate id of an activity uploaded on 1 January of that year)
_ANCHORS: tuple[tuple[int, int], ...] = (
    (2009, 1_000_000), (2012, 20_000_000), (2013, 35_000_000), (2014, 100_000_000),
    (2015, 230_000_000), (2016, 450_000_000), (2017, 820_000_000), (2018, 1_350_000_000),
    (2019, 2_050_000_000), (2020, 2_990_000_000), (2021, 4_580_000_000),
    (2022, 6_490_000_000), (2023, 8_340_000_000), (2024, 10_470_000_000),
    (2025, 13_250_000_000), (2026, 16_900_000_000), (2027, 20_500_000_000),
)
_EPOCHS = [datetime(year, 1, 1, tzinfo=timezone.utc).timestamp() for year, _ in _ANCHORS]
_IDS = [float(value) for _, value in _ANCHORS]


def id_at(epoch: float) -> int:
    """The id Strava's sequence had reached at ``epoch`` (extrapolated past the anchors)."""
    index = min(max(bisect_right(_EPOCHS, epoch), 1), len(_EPOCHS) - 1)
    x0, x1 = _EPOCHS[index - 1], _EPOCHS[index]
    y0, y1 = _IDS[index - 1], _IDS[index]
    return max(1, int(y0 + (y1 - y0) * (epoch - x0) / (x1 - x0)))


def activity_ids(start_epochs: list[float]) -> list[int]:
    """Ids for activities with these start times (sorted oldest first): each the sequence's
    value at its start, one more than the previous id when two starts share a value."""
    ids: list[int] = []
    for epoch in start_epochs:
        value = id_at(epoch)
        ids.append(max(value, ids[-1] + 1) if ids else value)
    return ids
