"""The champion's NumPy-only scorer (issue 23) predicts what scikit-learn's predict gives, on
really trained models with categorical features, missing values and unknown categories; it is
stored inside model.skops (covered by its SHA-256) and written once beside an older file."""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.backends import open_lake
from pipeline.kudos import model as kudos_model
from pipeline.kudos import scorer as kudos_scorer
from pipeline.kudos.features import CATEGORICAL, FEATURES, encode
from pipeline.kudos.store import (
    MODEL_FILE,
    KudosModel,
    ModelRefused,
    load_model_bytes,
    load_scorer,
    model_bytes,
    model_prefix,
    scorer_key,
    sha256,
)

SPORTS = ["Run", "Ride", "Swim", "Walk", "Hike", "VirtualRide", "TrailRun"]
VISIBILITY = ["everyone", "followers_only", "only_me"]


def features(rows: int, seed: int, unknown: bool = False) -> pd.DataFrame:
    """Random activities' features, about a tenth of every column missing; with ``unknown``,
    categories the training never saw."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({name: rng.gamma(2.0, 5.0, rows) for name in FEATURES})
    frame["local_hour"] = rng.integers(0, 24, rows).astype("float64")
    frame["commute"] = rng.integers(0, 2, rows).astype("float64")
    sports = SPORTS + (["Kayaking", "Yoga"] if unknown else [])
    frame["sport_type"] = rng.choice(sports, rows).astype(object)
    frame["workout_type"] = rng.choice(["0", "1", "2", "3"] + (["12"] if unknown else []),
                                       rows).astype(object)
    frame["visibility"] = rng.choice(VISIBILITY, rows).astype(object)
    for column in FEATURES:
        missing = rng.random(rows) < 0.1
        frame.loc[missing, column] = None if column in CATEGORICAL else np.nan
    return frame[list(FEATURES)]


def kudos(frame: pd.DataFrame, seed: int) -> pd.Series:
    """Counts that depend on numbers, categories and missingness (so the trees split on all)."""
    rng = np.random.default_rng(seed)
    level = (np.nan_to_num(frame["distance_km"].to_numpy(), nan=3.0) / 3
             + frame["sport_type"].map({"Run": 6, "Ride": 2, "Swim": 9}).fillna(1).to_numpy()
             + (frame["visibility"] == "everyone").to_numpy() * 4
             + frame["workout_type"].isna().to_numpy() * 3)
    return pd.Series(rng.poisson(level).astype("float64"), index=frame.index)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_scorer_predicts_what_scikit_learn_predicts(seed: int) -> None:
    train = features(3000, seed)
    model = kudos_model.fit(train, kudos(train, seed + 100))
    assert model.estimator.is_categorical_.sum() == len(CATEGORICAL)
    test = features(2000, seed + 50, unknown=True)
    scorer = kudos_scorer.from_estimator(model.estimator, model.categories)
    assert np.any(scorer.is_categorical)  # some trees split on categories
    expected = kudos_model.predict(model, test)
    got = scorer.predict(encode(test, model.categories))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)
    # Through the bytes stored in model.skops, the same predictions.
    stored = kudos_scorer.from_bytes(scorer.to_bytes())
    np.testing.assert_array_equal(stored.predict(encode(test, model.categories)), got)
    # Walked a few rows at a time (bounded memory), the same predictions, boundaries included.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kudos_scorer, "ROWS_PER_WALK", 333)
        np.testing.assert_array_equal(scorer.predict(encode(test, model.categories)), got)


def test_rows_with_everything_missing_and_no_rows() -> None:
    train = features(1500, 7)
    model = kudos_model.fit(train, kudos(train, 8))
    scorer = kudos_scorer.from_estimator(model.estimator, model.categories)
    empty = pd.DataFrame({name: [None if name in CATEGORICAL else np.nan] * 3
                          for name in FEATURES})
    np.testing.assert_allclose(scorer.predict(encode(empty, model.categories)),
                               kudos_model.predict(model, empty), rtol=1e-12, atol=0)
    assert scorer.predict(np.zeros((0, len(FEATURES)))).shape == (0,)


@pytest.fixture(scope="module")
def trained() -> KudosModel:
    train = features(1500, 3)
    return kudos_model.fit(train, kudos(train, 4))


def test_model_skops_holds_the_scorer_and_it_loads_without_scikit_learn(
        trained: KudosModel, tmp_path: Path) -> None:
    data = model_bytes(trained)
    assert data == model_bytes(trained)  # still byte-for-byte reproducible
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert kudos_scorer.SCORER_ENTRY in archive.namelist()
    assert load_model_bytes(data, sha256(data), "test").categories == trained.categories
    lake_dir = tmp_path / "lake"
    folder = lake_dir / model_prefix("2026-11-29")
    folder.mkdir(parents=True)
    (folder / MODEL_FILE).write_bytes(data)
    # Loading and scoring need neither scikit-learn nor skops (importing them would fail here).
    with pytest.MonkeyPatch.context() as patch:
        for name in ("skops", "skops.io", "sklearn", "sklearn.ensemble"):
            patch.setitem(sys.modules, name, None)
        scorer = load_scorer(open_lake(lake_dir.as_uri()), "2026-11-29", sha256(data))
    test = features(300, 5, unknown=True)
    np.testing.assert_allclose(scorer.predict(encode(test, trained.categories)),
                               kudos_model.predict(trained, test), rtol=1e-12, atol=0)
    with pytest.raises(ModelRefused, match="SHA-256 differs"):
        load_scorer(open_lake(lake_dir.as_uri()), "2026-11-29", "0" * 64)


def test_an_older_model_file_is_loaded_once_and_its_scorer_written_beside(
        trained: KudosModel, tmp_path: Path) -> None:
    data = model_bytes(trained)
    packed = io.BytesIO()  # the same file as the earlier release wrote it: no scorer entry
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(packed, "w") as target:
        for name in source.namelist():
            if name != kudos_scorer.SCORER_ENTRY:
                target.writestr(source.getinfo(name), source.read(name))
    older = packed.getvalue()
    lake = open_lake((tmp_path / "lake").as_uri())
    folder = tmp_path / "lake" / model_prefix("2026-11-29")
    folder.mkdir(parents=True)
    (folder / MODEL_FILE).write_bytes(older)
    first = load_scorer(lake, "2026-11-29", sha256(older))
    beside = tmp_path / "lake" / scorer_key("2026-11-29", sha256(older))
    assert beside.exists()
    second = load_scorer(lake, "2026-11-29", sha256(older))
    test = features(500, 9, unknown=True)
    expected = kudos_model.predict(trained, test)
    for scorer in (first, second):
        np.testing.assert_allclose(scorer.predict(encode(test, trained.categories)), expected,
                                   rtol=1e-12, atol=0)
    # A broken scorer beside the file is rebuilt from the checked model file.
    beside.write_bytes(b"not a scorer")
    again = load_scorer(lake, "2026-11-29", sha256(older))
    np.testing.assert_allclose(again.predict(encode(test, trained.categories)), expected,
                               rtol=1e-12, atol=0)


def test_a_scorer_pointing_outside_its_arrays_is_refused(
        trained: KudosModel) -> None:
    scorer = kudos_scorer.from_estimator(trained.estimator, trained.categories)
    inner = int(np.flatnonzero(~scorer.is_leaf)[0])
    scorer.left[inner] = 10**6
    with pytest.raises(kudos_scorer.ScorerInvalid, match="outside its node array"):
        kudos_scorer.from_bytes(scorer.to_bytes())
    with pytest.raises(kudos_scorer.ScorerInvalid, match="unreadable"):
        kudos_scorer.from_bytes(b"PK\x03\x04 broken")
