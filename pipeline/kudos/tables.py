"""The kudos tables in the warehouse, read and written through the warehouse adapter only."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd

from pipeline.backends.warehouse import Session, Warehouse
from pipeline.kudos.features import SOURCE_COLUMNS
from pipeline.kudos.schedule import LastTraining

RUN_COLUMNS: tuple[str, ...] = (
    "run_date", "model_version", "trained_at", "n_train", "n_test", "rmse", "mae",
    "baseline_rmse", "sport_baseline_rmse", "promoted", "reason", "model_sha256",
    "data_fingerprint", "trailing_4_weeks_rmse", "trailing_12_weeks_rmse", "best_baseline",
    "best_baseline_rmse",
)
REASON_LENGTH = 1024
_ROWS_PER_INSERT = 200


@dataclass(frozen=True)
class Champion:
    """The current champion as kudos_model_runs records it."""

    model_version: str
    model_sha256: str
    rmse: float | None
    run_date: date


def read_activities(warehouse: Warehouse, local_end: datetime, athlete_id: int = 0
                    ) -> pd.DataFrame:
    """Production rows starting (local time) before ``local_end``, oldest first; one athlete's
    (issue 26; 0: every row, an install of one athlete)."""
    rows = warehouse.query_file("kudos/training_activities.sql",
                                {"local_end": local_end, "athlete_id": athlete_id})
    return pd.DataFrame.from_records(rows, columns=list(SOURCE_COLUMNS))


def read_scoring_activities(warehouse: Warehouse, local_start: datetime,
                            local_end: datetime, athlete_id: int = 0) -> pd.DataFrame:
    """Production rows starting (local time) in [local_start, local_end) and each athlete's
    last one before: what scoring a recent window needs, oldest first."""
    rows = warehouse.query_file("kudos/scoring_activities.sql",
                                {"local_start": local_start, "local_end": local_end,
                                 "athlete_id": athlete_id})
    return pd.DataFrame.from_records(rows, columns=list(SOURCE_COLUMNS))


def current_champion(warehouse: Warehouse, athlete_id: int = 0) -> Champion | None:
    """The newest promoted training (of the athlete's models), or None before the first."""
    rows = warehouse.query_file("kudos/champion.sql", {"athlete_id": athlete_id})
    if not rows:
        return None
    version, digest, rmse, run_date = rows[0]
    return Champion(str(version), str(digest), None if rmse is None else float(rmse), run_date)


@dataclass(frozen=True)
class Fingerprint:
    """sql/kudos/fingerprint.sql's answer: the rows a run reads, summarised in the warehouse."""

    activities: int
    labelled: int
    digest: str


def production_fingerprint(warehouse: Warehouse, local_end: datetime,
                           settled_end: datetime, athlete_id: int = 0) -> Fingerprint:
    """The fingerprint of the production rows starting (local time) before ``local_end``, and
    how many are labelled and settled by ``settled_end`` (computed in SQL: DuckDB's own hash,
    elsewhere MD5)."""
    row = warehouse.query_file("kudos/fingerprint.sql", {"local_end": local_end,
                                                         "settled_end": settled_end,
                                                         "athlete_id": athlete_id})[0]
    count, labelled, *values = row
    # A dialect's own file names its method first (sql/kudos/fingerprint.duckdb.sql); the
    # shared file's is the MD5 slices'.
    method = str(values.pop(0)) if values and isinstance(values[0], str) else "sql-md5"
    numbers = [0 if value is None else int(value) for value in (count, *values)]
    return Fingerprint(numbers[0], 0 if labelled is None else int(labelled),
                       f"{method}:" + ":".join(str(number) for number in numbers))


def last_training(warehouse: Warehouse, athlete_id: int = 0) -> LastTraining | None:
    """The newest training (its version, fingerprint, run date, n_train + n_test), or None."""
    rows = warehouse.query_file("kudos/last_training.sql", {"athlete_id": athlete_id})
    if not rows:
        return None
    version, digest, run_date, n_train, n_test = rows[0]
    return LastTraining(str(version), str(digest), run_date, int(n_train or 0) + int(n_test or 0))


def trainings_of_date(warehouse: Warehouse, run_date: date, athlete_id: int = 0) -> int:
    """How many trainings ``run_date`` already has (the athlete's)."""
    return int(warehouse.query_file("kudos/trainings_of_date.sql",
                                    {"run_date": run_date, "athlete_id": athlete_id})[0][0])


def runs_report(warehouse: Warehouse, run_date: date, athlete_id: int = 0) -> pd.DataFrame:
    """Every run up to ``run_date``, oldest first (the athlete's)."""
    with warehouse.transaction() as session:
        session.run_file("kudos/runs_report.sql", {"run_date": run_date,
                                                   "athlete_id": athlete_id})
        return pd.DataFrame.from_records(session.fetchall(), columns=session.column_names)


def _plain(value: Any) -> Any:
    """Python values a DB-API driver binds on every warehouse (NaN and inf become NULL)."""
    if value is None:
        return None
    if hasattr(value, "item"):  # NumPy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _insert_rows(session: Session, table: str, columns: Sequence[str],
                 rows: Iterable[Sequence[Any]]) -> None:
    """Multi-row INSERTs with one bound parameter per value (table and columns are ours)."""
    batch: list[Sequence[Any]] = []

    def flush() -> None:
        params: dict[str, Any] = {}
        groups = []
        for number, row in enumerate(batch):
            names = [f"v{number}_{index}" for index in range(len(columns))]
            params.update({name: _plain(value) for name, value in zip(names, row, strict=True)})
            groups.append("(" + ", ".join(f":{name}" for name in names) + ")")
        session.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                        + ", ".join(groups), params)
        batch.clear()

    for row in rows:
        batch.append(row)
        if len(batch) == _ROWS_PER_INSERT:
            flush()
    if batch:
        flush()


def record_run(warehouse: Warehouse, run: Mapping[str, Any], update_id: str,
               importance: pd.DataFrame | None, predictions: pd.DataFrame | None,
               athlete_id: int = 0) -> None:
    """One transaction: the run's row, its importance, the run date's predictions, the marker.

    Predictions (columns activity_id, model_version, predicted_kudos) replace any earlier ones
    of the run date (the athlete's, issue 26); None leaves none for it.
    """
    row = dict(run)
    # Redshift counts VARCHAR lengths in bytes: cut at a character boundary within the limit.
    row["reason"] = str(row["reason"]).encode("utf-8")[:REASON_LENGTH].decode(
        "utf-8", errors="ignore")
    with warehouse.transaction() as session:
        athlete = athlete_id or None
        _insert_rows(session, "kudos_model_runs", (*RUN_COLUMNS, "athlete_id"),
                     [[*(row[c] for c in RUN_COLUMNS), athlete]])
        if importance is not None and len(importance):
            session.execute("DELETE FROM kudos_feature_importance"
                            " WHERE model_version = :model_version",
                            {"model_version": row["model_version"]})
            _insert_rows(session, "kudos_feature_importance",
                         ("model_version", "feature", "importance_mean", "importance_std",
                          "athlete_id"),
                         ([row["model_version"], r.feature, float(r.importance_mean),
                           float(r.importance_std), athlete] for r in importance.itertuples()))
        session.execute("DELETE FROM kudos_predictions WHERE run_date = :run_date"
                        " AND (:athlete_id = 0 OR athlete_id = :athlete_id)",
                        {"run_date": row["run_date"], "athlete_id": athlete_id})
        if predictions is not None and len(predictions):
            _insert_rows(session, "kudos_predictions",
                         ("run_date", "activity_id", "model_version", "predicted_kudos",
                          "athlete_id"),
                         ([row["run_date"], int(p.activity_id), p.model_version,
                           float(p.predicted_kudos), athlete] for p in predictions.itertuples()))
        warehouse.write_marker(session, update_id, "kudos_model_runs")
