"""The kudos model's features, computed from production rows with pandas.

Every feature of an activity is known when it is uploaded: its own measures, its local start
time, and the kudos of the athlete's previous *complete* local weeks. Nothing comes from the
activity's own kudos or from any later activity (tests/e2e/test_kudos.py permutes later kudos and
checks that no prediction moves).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from pipeline.run_dates import run_week, week_start

TEST_WEEKS = 12

# Columns of strava_activity_data the features are made of (sql/kudos/training_activities.sql).
SOURCE_COLUMNS: tuple[str, ...] = (
    "id", "athlete_id", "distance", "moving_time", "total_elevation_gain", "sport_type",
    "workout_type", "start_date", "start_date_local", "achievement_count", "kudos_count",
    "athlete_count", "pr_count", "trainer", "commute", "visibility", "private", "name",
    "total_photo_count",
)
CATEGORICAL: tuple[str, ...] = ("sport_type", "workout_type", "visibility")
FEATURES: tuple[str, ...] = (
    "distance_km", "moving_minutes", "pace_min_per_km", "elevation_gain_m", "sport_type",
    "workout_type", "local_hour", "local_weekday", "visibility", "athlete_count",
    "achievement_count", "pr_count", "commute", "trainer", "days_since_previous",
    "kudos_prev_week_mean", "kudos_prev_4_weeks_mean", "kudos_prev_12_weeks_mean",
    "total_photo_count", "custom_name",
)
# Strava's automatic title: the part of the day and the sport ("Morning Run", "Lunch Ride"...).
DEFAULT_NAME = re.compile(r"(Morning|Lunch|Afternoon|Evening|Night) [A-Za-z][A-Za-z -]*")
TARGET = "kudos_count"


@dataclass(frozen=True)
class Windows:
    """The local-time bounds of one run date's training, test and prediction sets.

    The run's week is pipeline.run_dates.run_week (its Monday to the run date: the one week);
    the test set is the TEST_WEEKS weeks ending with it, the training set everything before.
    """

    run_date: date

    @property
    def end(self) -> datetime:
        """Exclusive upper bound: the local midnight after the run date."""
        return run_week(self.run_date).end

    @property
    def run_week_start(self) -> datetime:
        """Local midnight starting the run's week (its Monday)."""
        return run_week(self.run_date).start

    @property
    def test_start(self) -> datetime:
        """Local midnight starting the last TEST_WEEKS weeks (the run's week is the last one)."""
        return self.run_week_start - timedelta(weeks=TEST_WEEKS - 1)


def _numeric(values: pd.Series) -> pd.Series:
    """Numbers as float64; anything else, and infinities, as missing (NaN)."""
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    return numbers.where(np.isfinite(numbers))


def usable_kudos(frame: pd.DataFrame) -> pd.Series:
    """The target: kudos_count where it is a finite count >= 0, else NaN.

    A negative or non-finite count (no real activity has one) keeps the activity out of training
    and testing; it is still predicted.
    """
    kudos = _numeric(frame[TARGET])
    return kudos.where(kudos >= 0)


def kudos_possible(frame: pd.DataFrame) -> pd.Series:
    """Whether each activity can get kudos: not private (Strava's ``private`` flag, or
    visibility 'only_me'). sql/fragments/kudos_possible.sql says the same in SQL; a private
    activity counts in no kudos aggregate (the trailing kudos levels here)."""
    private = frame["private"].map(lambda value: value is not None and not pd.isna(value)
                                   and bool(value)).astype(bool)
    return ~private & (frame["visibility"].fillna("everyone") != "only_me")


def _flag(values: pd.Series) -> pd.Series:
    return values.map(lambda value: np.nan if value is None or pd.isna(value)
                      else float(bool(value))).astype("float64")


def _rolling_kudos(frame: pd.DataFrame, athlete: pd.Series, week: pd.Series) -> pd.DataFrame:
    """Mean kudos per activity of the previous 1, 4 and 12 complete local weeks, per athlete
    (activities that can get kudos only): the athlete's trailing kudos level, which grows with
    the follower base."""
    kudos = usable_kudos(frame).where(kudos_possible(frame))
    weekly = pd.DataFrame({"athlete": athlete, "week": week, "kudos": kudos,
                           "counted": kudos.notna().astype("float64")})
    weekly = weekly.groupby(["athlete", "week"]).agg(kudos=("kudos", "sum"),
                                                    counted=("counted", "sum"))
    result = []
    for athlete_id, group in weekly.groupby(level="athlete"):
        weeks = group.index.get_level_values("week")
        spine = pd.date_range(weeks.min(), weeks.max(), freq="7D")
        full = group.droplevel("athlete").reindex(spine, fill_value=0.0)
        previous = full.shift(1, fill_value=0.0)
        four = previous.rolling(4, min_periods=1).sum()
        twelve = previous.rolling(12, min_periods=1).sum()
        result.append(pd.DataFrame({
            "athlete": athlete_id, "week": spine,
            "kudos_prev_week_mean": previous["kudos"] / previous["counted"].replace(0, np.nan),
            "kudos_prev_4_weeks_mean": four["kudos"] / four["counted"].replace(0, np.nan),
            "kudos_prev_12_weeks_mean": twelve["kudos"] / twelve["counted"].replace(0, np.nan),
        }))
    if not result:
        return pd.DataFrame(columns=["athlete", "week", "kudos_prev_week_mean",
                                     "kudos_prev_4_weeks_mean", "kudos_prev_12_weeks_mean"])
    return pd.concat(result, ignore_index=True)


def weeks_of(local: pd.Series) -> pd.Series:
    """The week (its Monday, as a timestamp) of each local start: pipeline.run_dates.week_start."""
    days = local.dt.normalize()
    mondays = {day: pd.Timestamp(week_start(day.date())) for day in days.dropna().unique()
               for day in [pd.Timestamp(day)]}
    return days.map(mondays).astype("datetime64[ns]")


def build_features(frame: pd.DataFrame) -> pd.DataFrame:
    """One row of FEATURES per activity of ``frame`` (production columns), same index.

    Categorical features stay text here; ``encode`` turns them into the model's codes.
    """
    if frame.empty:
        return pd.DataFrame({name: pd.Series(dtype="object" if name in CATEGORICAL
                                             else "float64") for name in FEATURES})
    local = pd.to_datetime(frame["start_date_local"])
    start = pd.to_datetime(frame["start_date"])
    athlete = _numeric(frame["athlete_id"]).fillna(-1)
    distance_km = _numeric(frame["distance"]) / 1000
    moving_minutes = _numeric(frame["moving_time"]) / 60
    features = pd.DataFrame(index=frame.index)
    features["distance_km"] = distance_km
    features["moving_minutes"] = moving_minutes
    features["pace_min_per_km"] = (moving_minutes / distance_km.where(distance_km > 0)).astype(
        "float64")
    features["elevation_gain_m"] = _numeric(frame["total_elevation_gain"])
    features["sport_type"] = frame["sport_type"].astype("object")
    features["workout_type"] = _numeric(frame["workout_type"]).map(
        lambda code: None if pd.isna(code) else str(int(code))).astype("object")
    features["local_hour"] = local.dt.hour.astype("float64")
    features["local_weekday"] = local.dt.day_of_week.astype("float64")
    features["visibility"] = frame["visibility"].astype("object")
    for column in ("athlete_count", "achievement_count", "pr_count"):
        features[column] = _numeric(frame[column])
    features["commute"] = _flag(frame["commute"])
    features["trainer"] = _flag(frame["trainer"])

    order = pd.DataFrame({"athlete": athlete, "start": start, "id": _numeric(frame["id"])}
                         ).sort_values(["athlete", "start", "id"], kind="stable")
    gap = order.groupby("athlete")["start"].diff().dt.total_seconds() / 86_400
    features["days_since_previous"] = gap.reindex(frame.index).astype("float64")

    week = weeks_of(local)
    rolling = _rolling_kudos(frame, athlete, week)
    keys = pd.DataFrame({"athlete": athlete, "week": week}, index=frame.index)
    joined = keys.merge(rolling, on=["athlete", "week"], how="left")
    joined.index = frame.index
    features["kudos_prev_week_mean"] = joined["kudos_prev_week_mean"].astype("float64")
    features["kudos_prev_4_weeks_mean"] = joined["kudos_prev_4_weeks_mean"].astype("float64")
    features["kudos_prev_12_weeks_mean"] = joined["kudos_prev_12_weeks_mean"].astype("float64")
    features["total_photo_count"] = _numeric(frame["total_photo_count"])
    features["custom_name"] = frame["name"].map(
        lambda name: np.nan if name is None or pd.isna(name)
        else float(not DEFAULT_NAME.fullmatch(str(name).strip()))).astype("float64")
    return features[list(FEATURES)]


def vocabularies(features: pd.DataFrame) -> dict[str, list[str]]:
    """The sorted categories of each categorical feature seen in ``features``."""
    return {column: sorted(str(value) for value in features[column].dropna().unique())
            for column in CATEGORICAL}


def encode(features: pd.DataFrame, categories: dict[str, list[str]]) -> np.ndarray:
    """The model's input matrix: categories as codes of ``categories``, unknown ones missing."""
    matrix = features.copy()
    for column in CATEGORICAL:
        codes = {name: float(index) for index, name in enumerate(categories[column])}
        matrix[column] = features[column].map(
            lambda value, codes=codes: codes.get(str(value), np.nan)
            if value is not None and not pd.isna(value) else np.nan).astype("float64")
    return matrix[list(FEATURES)].to_numpy(dtype="float64")


def categorical_mask() -> np.ndarray:
    """Which columns of the input matrix are categorical (for the estimator)."""
    return np.array([name in CATEGORICAL for name in FEATURES])
