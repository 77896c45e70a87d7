"""When the kudos model retrains: the rule, without pandas or scikit-learn.

A run whose production changed since the newest training retrains only when one of these holds
(else the champion only scores, and the run records why it did not train):

- there is no usable champion (none yet, its file missing or made for other features);
- the run date is the newest training's own run date (its marker was removed: a forced rerun);
- ``KUDOS_RETRAIN_EVERY_WEEKS`` (default 4) or more weeks passed since the newest training's
  run date (0: every run whose production changed);
- the data drifted: the labelled activities settled by the run date (kudos_count >= 0, started
  more than ``KUDOS_SETTLE_DAYS`` before its end: what a training learns and tests from) differ
  from the newest training's n_train + n_test by ``KUDOS_RETRAIN_DRIFT_SHARE`` (default 0.1) of
  it or more, e.g. an archive import or deletions. A week of a typical history adds well under
  1 % (5 activities on 1,000), so a weekly run waits for its due date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class LastTraining:
    """The newest training as kudos_model_runs records it."""

    model_version: str
    data_fingerprint: str
    run_date: date
    labelled: int  # its n_train + n_test


def drift(labelled_now: int, last: LastTraining) -> float:
    """The documented drift measure: |labelled now - labelled then| / labelled then."""
    return abs(labelled_now - last.labelled) / max(last.labelled, 1)


def retrain_reason(run_date: date, last: LastTraining | None, has_champion: bool,
                   labelled_now: int, every_weeks: int, drift_share: float) -> str | None:
    """Why a run whose production changed retrains now, or None when it is not due."""
    if last is None or not has_champion:
        return "no usable champion"
    if run_date == last.run_date:
        return f"a rerun of {run_date}, the newest training's run date"
    weeks = (run_date - last.run_date).days // 7
    if run_date > last.run_date and weeks >= every_weeks:
        return f"{weeks} weeks since model {last.model_version} (KUDOS_RETRAIN_EVERY_WEEKS=" \
               f"{every_weeks})"
    share = drift(labelled_now, last)
    if share >= drift_share:
        return (f"the data drifted: {labelled_now} labelled activities against "
                f"{last.labelled} for model {last.model_version} ({share:.1%}, "
                f"KUDOS_RETRAIN_DRIFT_SHARE={drift_share:g})")
    return None


def not_due(run_date: date, last: LastTraining, labelled_now: int, every_weeks: int,
            drift_share: float, champion_version: str) -> str:
    """The recorded reason of a run that scored with the champion instead of training."""
    due = date.fromordinal(last.run_date.toordinal() + 7 * every_weeks)
    return (f"skipped: retraining not due (model {last.model_version} trained for "
            f"{last.run_date}; next due {due}, KUDOS_RETRAIN_EVERY_WEEKS={every_weeks}; data "
            f"drift {drift(labelled_now, last):.1%} below KUDOS_RETRAIN_DRIFT_SHARE="
            f"{drift_share:g}); champion {champion_version} scored the run")
