"""When the kudos model retrains (pipeline/kudos/schedule.py): issue 23's rule."""

from __future__ import annotations

from datetime import date

from pipeline.kudos.schedule import LastTraining, not_due, retrain_reason

LAST = LastTraining("2026-11-29", "sql-md5:1:2:3:4", date(2026, 11, 29), 1000)


def reason(run_date: date, labelled: int = 1005, every: int = 4, share: float = 0.1,
           last: LastTraining | None = LAST, champion: bool = True) -> str | None:
    return retrain_reason(run_date, last, champion, labelled, every, share)


def test_weekly_runs_wait_for_the_due_date() -> None:
    assert reason(date(2026, 12, 6)) is None
    assert reason(date(2026, 12, 20)) is None
    assert reason(date(2026, 12, 27)) == "4 weeks since model 2026-11-29 " \
                                         "(KUDOS_RETRAIN_EVERY_WEEKS=4)"
    assert reason(date(2026, 12, 6), every=1) is not None
    assert reason(date(2026, 12, 6), every=0) is not None


def test_no_champion_or_no_training_trains_now() -> None:
    assert reason(date(2026, 12, 6), champion=False) == "no usable champion"
    assert reason(date(2026, 12, 6), last=None) == "no usable champion"


def test_a_forced_rerun_of_the_training_date_retrains_an_older_date_does_not() -> None:
    assert reason(date(2026, 11, 29)) is not None
    assert reason(date(2026, 11, 22)) is None
    assert reason(date(2026, 10, 4)) is None  # older by more than 4 weeks: still no


def test_drift_in_either_direction_retrains() -> None:
    assert reason(date(2026, 12, 6), labelled=1099) is None
    assert "drifted: 1100 labelled activities against 1000" in reason(date(2026, 12, 6),
                                                                       labelled=1100)
    assert reason(date(2026, 12, 6), labelled=900) is not None
    assert reason(date(2026, 12, 6), labelled=1010, share=0.01) is not None


def test_the_recorded_reason_names_the_due_date_and_the_settings() -> None:
    text = not_due(date(2026, 12, 6), LAST, 1005, 4, 0.1, "2026-11-29")
    assert text == ("skipped: retraining not due (model 2026-11-29 trained for 2026-11-29; "
                    "next due 2026-12-27, KUDOS_RETRAIN_EVERY_WEEKS=4; data drift 0.5% below "
                    "KUDOS_RETRAIN_DRIFT_SHARE=0.1); champion 2026-11-29 scored the run")
