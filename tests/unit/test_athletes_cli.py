"""``athletes list``'s columns from rows keyed by athlete, by the single-athlete era, or none."""

from __future__ import annotations

import pickle
from datetime import date

from pipeline.athletes import Athlete, AthleteAuthError
from pipeline.athletes_cli import _by_athlete, _text

ADA = Athlete(5, "Ada", "2026-12-06T22:40:12Z")
BOB = Athlete(7, "", "")


def test_rows_keyed_by_athlete_go_to_each_athlete() -> None:
    rows = [(5, date(2026, 11, 29), None), (7, date(2026, 11, 22), None)]
    assert _by_athlete(rows, None, [ADA, BOB]) == {5: date(2026, 11, 29), 7: date(2026, 11, 22)}


def test_rows_of_the_single_athlete_era_go_to_the_only_athlete() -> None:
    assert _by_athlete([(0, date(2026, 11, 29), None)], None, [ADA])[5] == date(2026, 11, 29)
    assert 5 not in _by_athlete([(0, date(2026, 11, 29), None)], None, [ADA, BOB])
    # A store without athlete_id yet (the per-athlete query failed): the un-keyed rows.
    assert _by_athlete(None, [(None, date(2026, 11, 29), None)], [ADA]) == \
        {5: date(2026, 11, 29)}
    assert _by_athlete(None, [(None, date(2026, 11, 29), None)], [ADA, BOB]) == {}
    assert _by_athlete(None, None, [ADA]) == {}


def test_absent_values_show_a_dash() -> None:
    assert _text(None) == "—" and _text("") == "—" and _text(date(2026, 11, 29)) == "2026-11-29"


def test_an_athletes_refusal_survives_pickling_with_the_athlete() -> None:
    error = pickle.loads(pickle.dumps(AthleteAuthError("athlete 5 (Ada): re-authorize", ADA)))
    assert str(error) == "athlete 5 (Ada): re-authorize" and error.athlete == ADA
