"""The kudos model's new features (issue 22, finding 4): photos, a custom name, the trailing
12-week kudos level; private activities count in no trailing kudos mean (finding 6)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from pipeline.kudos.features import FEATURES, SOURCE_COLUMNS, build_features


def frame(rows: list[dict]) -> pd.DataFrame:
    base = {column: None for column in SOURCE_COLUMNS}
    return pd.DataFrame([{**base, **row} for row in rows], columns=list(SOURCE_COLUMNS))


def activity(number: int, start: datetime, kudos: int, **fields: object) -> dict:
    return {"id": number, "athlete_id": 1, "distance": 10_000.0, "moving_time": 3000,
            "sport_type": "Run", "start_date": start, "start_date_local": start,
            "kudos_count": kudos, "visibility": "everyone", "private": False,
            "name": "Morning Run", "total_photo_count": 0, **fields}


def test_photos_custom_names_and_the_trailing_levels() -> None:
    monday = datetime(2026, 11, 2, 8)
    rows = [activity(n, monday + timedelta(weeks=n), kudos=10 * (n + 1)) for n in range(13)]
    rows.append(activity(100, monday + timedelta(weeks=12, days=1), kudos=0,
                         visibility="only_me", private=True, name="Lunch Run"))
    rows.append(activity(101, monday + timedelta(weeks=13), kudos=5, total_photo_count=4,
                         name="Sunday long run with the crew"))
    features = build_features(frame(rows))
    assert {"total_photo_count", "custom_name", "kudos_prev_12_weeks_mean"} <= set(FEATURES)
    last = features.iloc[-1]
    assert last["total_photo_count"] == 4 and last["custom_name"] == 1.0
    assert features.iloc[0]["custom_name"] == 0.0  # "Morning Run": Strava's automatic title
    # The week before the last holds activity 12 (130 kudos) and the private one (0): the
    # private activity counts in no mean.
    assert last["kudos_prev_week_mean"] == 130.0
    assert last["kudos_prev_4_weeks_mean"] == np.mean([100, 110, 120, 130])
    assert last["kudos_prev_12_weeks_mean"] == np.mean([20 + 10 * n for n in range(12)])
