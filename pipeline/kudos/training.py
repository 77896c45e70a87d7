"""One run of the kudos model for a run date: retrain when production changed and a retraining
is due (pipeline/kudos/schedule.py), keep the better model as champion (it must beat the best
baseline and the champion), score the last 12 weeks and the activities the run loaded under the
champion, record everything."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from pipeline.backends.lake import Lake
from pipeline.backends.warehouse import Warehouse, utc_now
from pipeline.kudos import scorer as kudos_scorer
from pipeline.kudos.features import (
    FEATURES,
    TEST_WEEKS,
    Windows,
    build_features,
    encode,
    usable_kudos,
)
from pipeline.kudos.schedule import not_due, retrain_reason
from pipeline.kudos.scorer import Scorer
from pipeline.kudos.store import (
    KudosModel,
    ModelUnavailable,
    load_scorer,
    model_bytes,
    save_model,
)
from pipeline.kudos.store import sha256 as sha256_of
from pipeline.kudos.tables import (
    Champion,
    current_champion,
    last_training,
    production_fingerprint,
    read_activities,
    read_scoring_activities,
    record_run,
    trainings_of_date,
)

logger = logging.getLogger(__name__)
# Before the test weeks, the weeks a scoring-only run reads: the 12-week trailing kudos level
# of the first test week needs the 12 complete weeks before it (13 with the partial one).
SCORING_MARGIN = timedelta(weeks=13)


@dataclass(frozen=True)
class RunOutcome:
    """What a run did, as recorded in kudos_model_runs."""

    row: dict[str, Any]
    champion: str | None
    predictions: int

    @property
    def summary(self) -> str:
        """One line for logs and Luigi's status message."""
        return (f"{self.row['reason']} ({self.predictions} predictions under "
                f"{self.champion or 'no champion'})")


def _version(warehouse: Warehouse, run_date: date, athlete_id: int = 0) -> str:
    """'2026-11-29' ('+2' for a second training of the date); an athlete's on an install of
    several: 'a42-2026-11-29' (its files in models/kudos/42/, pipeline/kudos/store.py)."""
    earlier = trainings_of_date(warehouse, run_date, athlete_id)
    owner = f"a{athlete_id}-" if athlete_id else ""
    return owner + run_date.isoformat() + (f"+{earlier + 1}" if earlier else "")


def _row(run_date: date, reason: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"run_date": run_date, "model_version": None, "trained_at": utc_now(),
                           "n_train": None, "n_test": None, "rmse": None, "mae": None,
                           "baseline_rmse": None, "sport_baseline_rmse": None,
                           "promoted": False, "reason": reason, "model_sha256": None,
                           "data_fingerprint": None, "trailing_4_weeks_rmse": None,
                           "trailing_12_weeks_rmse": None, "best_baseline": None,
                           "best_baseline_rmse": None}
    row.update(values)
    return row


def _load_champion(lake: Lake, champion: Champion | None) -> Scorer | None:
    """The champion's scorer (NumPy only, pipeline/kudos/scorer.py); None when there is none
    or it is unavailable (missing, other features). A tampered file raises ModelRefused: the
    run stops, nothing is recorded."""
    if champion is None:
        return None
    try:
        return load_scorer(lake, champion.model_version, champion.model_sha256)
    except ModelUnavailable as error:
        logger.warning("%s", error)
        return None


def run_kudos_model(warehouse: Warehouse, lake: Lake, run_date: date, min_activities: int,
                    update_id: str, refusal: str | None = None, settle_days: int = 7,
                    loaded_ids: frozenset[int] = frozenset(), retrain_every_weeks: int = 4,
                    drift_share: float = 0.1, athlete_id: int = 0) -> RunOutcome:
    """Train when due (or skip, with the reason), promote, predict and record one run date.

    ``refusal`` (pipeline/kudos/terms.py) records a skip with that reason: nothing is read,
    trained or predicted. Activities that started less than ``settle_days`` before the end of
    the run date (their kudos still arriving) stay out of training and testing. A changed
    production retrains only when pipeline/kudos/schedule.py says it is due
    (``retrain_every_weeks``, ``drift_share``); otherwise the champion only scores. The champion
    scores the test weeks and every activity of ``loaded_ids`` (what the run loaded).
    ``athlete_id`` (issue 26, an install of several athletes): that athlete's activities, models
    and rows only; 0: every row, as on an install of one athlete.
    """
    warehouse.ensure_schema()
    if refusal is not None:
        row = _row(run_date, refusal)
        record_run(warehouse, row, update_id, None, None, athlete_id)
        logger.info("kudos model for %s: %s", run_date, refusal)
        return RunOutcome(row, None, 0)
    windows = Windows(run_date)
    current = production_fingerprint(warehouse, windows.end,
                                      windows.end - timedelta(days=settle_days), athlete_id)
    data_fingerprint = current.digest
    champion = current_champion(warehouse, athlete_id)
    incumbent = _load_champion(lake, champion)
    last = last_training(warehouse, athlete_id)
    why = retrain_reason(run_date, last, incumbent is not None, current.labelled,
                         retrain_every_weeks, drift_share)
    row: dict[str, Any] | None = None
    if current.activities < min_activities:
        row = _row(run_date, f"skipped: {current.activities} activities up to {run_date}, "
                   f"fewer than KUDOS_MIN_ACTIVITIES={min_activities}",
                   data_fingerprint=data_fingerprint)
    elif incumbent is not None and last is not None and last.data_fingerprint == data_fingerprint:
        row = _row(run_date, f"skipped: production unchanged since model {last.model_version} "
                   f"was trained; champion {champion.model_version} kept",
                   data_fingerprint=data_fingerprint)
    elif why is None:
        row = _row(run_date, not_due(run_date, last, current.labelled, retrain_every_weeks,
                                     drift_share, champion.model_version),
                   data_fingerprint=data_fingerprint)
    if row is not None and incumbent is None:  # nothing to train, nothing to score with
        record_run(warehouse, row, update_id, None, None, athlete_id)
        logger.info("kudos model for %s: %s", run_date, row["reason"])
        return RunOutcome(row, champion.model_version if champion else None, 0)

    frame = _scoring_frame(warehouse, windows, loaded_ids, athlete_id) \
        if row is not None else None
    if frame is None:
        frame = read_activities(warehouse, windows.end, athlete_id)
    features = build_features(frame)
    local = pd.to_datetime(frame["start_date_local"])
    scored = (local >= windows.test_start).to_numpy() | frame["id"].isin(loaded_ids).to_numpy()
    trained: Scorer | None = None
    importance = None
    if row is None:
        logger.info("kudos model for %s: retraining (%s)", run_date, why)
        row, trained, importance = _train(warehouse, lake, run_date, windows, frame, features,
                                          champion, incumbent, settle_days, data_fingerprint,
                                          athlete_id)
        if row["promoted"]:
            champion = Champion(row["model_version"], row["model_sha256"], row["rmse"],
                                run_date)

    champion_model = trained if trained is not None and row["promoted"] else incumbent
    predictions = None
    if champion_model is not None and champion is not None:
        predicted = champion_model.predict(encode(features[scored],
                                                  champion_model.categories))
        predictions = pd.DataFrame({"activity_id": frame["id"][scored].astype("int64"),
                                    "model_version": champion.model_version,
                                    "predicted_kudos": predicted})
    record_run(warehouse, row, update_id, importance, predictions, athlete_id)
    outcome = RunOutcome(row, champion.model_version if champion else None,
                         0 if predictions is None else len(predictions))
    logger.info("kudos model for %s: %s", run_date, outcome.summary)
    return outcome


def _scoring_frame(warehouse: Warehouse, windows: Windows,
                   loaded_ids: frozenset[int], athlete_id: int = 0) -> pd.DataFrame | None:
    """For a run that only scores: the recent rows its features need (the test weeks, the
    SCORING_MARGIN before them, each athlete's activity before those), or None when the run
    loaded an activity older than the test weeks (a first run, a backfill): then the whole
    history is read, as for training."""
    frame = read_scoring_activities(warehouse, windows.test_start - SCORING_MARGIN,
                                    windows.end, athlete_id)
    recent = pd.to_datetime(frame["start_date_local"]) >= windows.test_start
    if not loaded_ids <= set(frame["id"][recent].astype("int64")):
        return None
    return frame


def _train(warehouse: Warehouse, lake: Lake, run_date: date, windows: Windows,
           frame: pd.DataFrame, features: pd.DataFrame, champion: Champion | None,
           incumbent: Scorer | None, settle_days: int, data_fingerprint: str,
           athlete_id: int = 0) -> tuple[dict[str, Any], Scorer | None, pd.DataFrame | None]:
    """Fit, score and decide (or the skip's row when the sets cannot train); the model file is
    saved, the permutation importance computed for a promoted model only. The trained model
    comes back as its scorer (the predictions of its estimator)."""
    from pipeline.kudos import model as kudos_model  # scikit-learn: only to train

    local = pd.to_datetime(frame["start_date_local"])
    kudos = usable_kudos(frame)
    window = (local >= windows.test_start).to_numpy()
    settled = (local < windows.end - timedelta(days=settle_days)).to_numpy()
    train_rows = (~window) & settled & kudos.notna().to_numpy()
    test_rows = window & settled & kudos.notna().to_numpy()
    if not train_rows.any() or not test_rows.any():
        return _row(run_date, f"skipped: {int(train_rows.sum())} activities with kudos before "
                    f"{windows.test_start:%Y-%m-%d} and {int(test_rows.sum())} in the last "
                    f"{TEST_WEEKS} weeks; both sets need some",
                    data_fingerprint=data_fingerprint), None, None
    if kudos[train_rows].sum() <= 0:
        return _row(run_date, f"skipped: no activity before {windows.test_start:%Y-%m-%d} got "
                    "any kudos; nothing to learn", data_fingerprint=data_fingerprint), None, None
    train, test = features[train_rows], features[test_rows]
    train_kudos, test_kudos = kudos[train_rows], kudos[test_rows]
    trained = kudos_model.fit(train, train_kudos)
    scores = kudos_model.score(trained, train, train_kudos, test, test_kudos)
    version = _version(warehouse, run_date, athlete_id)
    promoted, reason = _decide(run_date, champion, incumbent, scores, test, test_kudos)
    # Permutation importance explains the champion (the dashboard shows the champion's): a
    # challenger that is not promoted is never shown, so its importance is not computed.
    importance = kudos_model.importance(trained, test, test_kudos) if promoted else None
    data = model_bytes(trained)
    best_name, best_rmse = scores.best_baseline
    row = _row(run_date, reason, model_version=version, n_train=len(train),
               n_test=len(test), rmse=scores.rmse, mae=scores.mae,
               baseline_rmse=scores.baseline_rmse,
               sport_baseline_rmse=scores.sport_baseline_rmse,
               trailing_4_weeks_rmse=scores.baselines[kudos_model.TRAILING_4],
               trailing_12_weeks_rmse=scores.baselines[kudos_model.TRAILING_12],
               best_baseline=best_name, best_baseline_rmse=best_rmse, promoted=promoted,
               model_sha256=sha256_of(data), data_fingerprint=data_fingerprint)
    save_model(lake, version, data, _metrics(row, windows, trained, importance))
    return row, kudos_scorer.from_estimator(trained.estimator, trained.categories,
                                            trained.features), importance


def _decide(run_date: date, champion: Champion | None, incumbent: Scorer | None,
            scores: Any, test: pd.DataFrame, test_kudos: pd.Series) -> tuple[bool, str]:
    """Champion/challenger on the same test set (``scores``: pipeline.kudos.model.Scores):
    promote only a strictly lower RMSE than the best baseline's and the champion's."""
    from pipeline.kudos import model as kudos_model

    best_name, best_rmse = scores.best_baseline
    if scores.rmse >= best_rmse:
        return False, (f"not promoted: test RMSE {scores.rmse:.2f} does not beat the best "
                       f"baseline, the {best_name} ({best_rmse:.2f}), on the same "
                       f"{len(test)} test activities")
    if champion is None:
        return True, (f"promoted: first model; test RMSE {scores.rmse:.2f} beats the best "
                      f"baseline, the {best_name} ({best_rmse:.2f})")
    if incumbent is not None and champion.run_date > run_date:
        # The later champion may have trained on this date's test weeks: no fair comparison.
        return False, (f"not promoted: champion {champion.model_version} is from a later run "
                       f"date; a rerun of an older date never replaces it (test RMSE "
                       f"{scores.rmse:.2f})")
    if incumbent is None:
        return True, (f"promoted: champion {champion.model_version}'s model file is missing "
                      f"from the lake or made for other features; test RMSE {scores.rmse:.2f}")
    champion_rmse = kudos_model.rmse(incumbent.predict(encode(test, incumbent.categories)),
                                     test_kudos.to_numpy("float64"))
    same = f"on the same {len(test)} test activities"
    if scores.rmse < champion_rmse:
        return True, (f"promoted: test RMSE {scores.rmse:.2f} beats champion "
                      f"{champion.model_version}'s {champion_rmse:.2f} {same}")
    return False, (f"not promoted: test RMSE {scores.rmse:.2f} does not beat champion "
                   f"{champion.model_version}'s {champion_rmse:.2f} {same}; it stays champion")


def _metrics(row: dict[str, Any], windows: Windows, model: KudosModel,
             importance: pd.DataFrame | None) -> dict[str, Any]:
    import sklearn
    import skops

    from pipeline.kudos import model as kudos_model

    return {
        **{key: value for key, value in row.items()},
        "test_window_local": [windows.test_start.isoformat(), windows.end.isoformat()],
        "features": list(FEATURES),
        "categories": model.categories,
        "parameters": kudos_model.PARAMETERS,
        "permutation_importance": (None if importance is None  # computed when promoted
                                   else importance.to_dict(orient="records")),
        "scikit_learn": sklearn.__version__,
        "skops": skops.__version__,
        "written_at": datetime.now().isoformat(timespec="seconds"),
    }
