"""Fit, score and explain the kudos regressor (scikit-learn's HistGradientBoostingRegressor)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.inspection import permutation_importance
from threadpoolctl import threadpool_limits

from pipeline.kudos.features import FEATURES, categorical_mask, encode, vocabularies
from pipeline.kudos.store import KudosModel

# Kudos are counts, so a Poisson loss; shallow trees and a modest number of rounds suit a few
# hundred to a few thousand activities (benchmarked in benchmarks/kudos.py).
PARAMETERS: dict[str, object] = {
    "loss": "poisson", "learning_rate": 0.05, "max_iter": 200, "max_depth": 4,
    "min_samples_leaf": 20, "early_stopping": False, "random_state": 0,
}
# One OpenMP thread: on a shared 2-core machine more threads made fitting ~8x slower.
THREADS = 1
IMPORTANCE_REPEATS = 5


@dataclass(frozen=True)
class Scores:
    """Test-set errors of a model and of the two baselines on the same activities."""

    rmse: float
    mae: float
    baseline_rmse: float
    sport_baseline_rmse: float


def rmse(predicted: np.ndarray, actual: np.ndarray) -> float:
    """Root mean squared error."""
    return float(np.sqrt(np.mean((np.asarray(predicted) - np.asarray(actual)) ** 2)))


def fit(features: pd.DataFrame, kudos: pd.Series) -> KudosModel:
    """Train on these activities' features and kudos."""
    categories = vocabularies(features)
    estimator = HistGradientBoostingRegressor(categorical_features=categorical_mask(),
                                              **PARAMETERS)
    with threadpool_limits(limits=THREADS, user_api="openmp"):
        estimator.fit(encode(features, categories), kudos.to_numpy(dtype="float64"))
    return KudosModel(estimator, categories)


def predict(model: KudosModel, features: pd.DataFrame) -> np.ndarray:
    """Predicted kudos (never negative) for each row of ``features``."""
    if len(features) == 0:
        return np.zeros(0)
    with threadpool_limits(limits=THREADS, user_api="openmp"):
        return np.clip(model.estimator.predict(encode(features, model.categories)), 0, None)


def baselines(train_kudos: pd.Series, train_sport: pd.Series, test_kudos: pd.Series,
              test_sport: pd.Series) -> tuple[float, float]:
    """RMSE on the test set of the training mean, and of the training mean per sport type
    (the overall mean for a sport the training set lacks)."""
    mean = float(train_kudos.mean())
    by_sport = train_kudos.groupby(train_sport.to_numpy()).mean()
    sport_prediction = test_sport.map(by_sport).astype("float64").fillna(mean)
    actual = test_kudos.to_numpy(dtype="float64")
    return (rmse(np.full(len(actual), mean), actual),
            rmse(sport_prediction.to_numpy(), actual))


def score(model: KudosModel, train: pd.DataFrame, train_kudos: pd.Series,
          test: pd.DataFrame, test_kudos: pd.Series) -> Scores:
    """The model's RMSE and MAE on the test set, next to both baselines."""
    predicted = predict(model, test)
    actual = test_kudos.to_numpy(dtype="float64")
    baseline, sport_baseline = baselines(train_kudos, train["sport_type"], test_kudos,
                                         test["sport_type"])
    return Scores(rmse(predicted, actual), float(np.mean(np.abs(predicted - actual))),
                  baseline, sport_baseline)


def importance(model: KudosModel, test: pd.DataFrame, test_kudos: pd.Series) -> pd.DataFrame:
    """Permutation importance on the test set: how much RMSE grows per shuffled feature."""
    with threadpool_limits(limits=THREADS, user_api="openmp"):
        result = permutation_importance(
            model.estimator, encode(test, model.categories), test_kudos.to_numpy("float64"),
            scoring="neg_root_mean_squared_error", n_repeats=IMPORTANCE_REPEATS,
            random_state=0)
    return pd.DataFrame({"feature": list(FEATURES),
                         "importance_mean": result.importances_mean,
                         "importance_std": result.importances_std}
                        ).sort_values("importance_mean", ascending=False, ignore_index=True)
