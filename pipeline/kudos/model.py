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


# The baselines a model must beat, by the name kudos_model_runs.best_baseline records.
MEAN, SPORT_MEAN = "training mean", "per-sport mean"
TRAILING_4, TRAILING_12 = "trailing 4-week mean", "trailing 12-week mean"
# The feature holding each trailing baseline's prediction (the activity's trailing kudos level).
TRAILING_FEATURES: dict[str, str] = {TRAILING_4: "kudos_prev_4_weeks_mean",
                                     TRAILING_12: "kudos_prev_12_weeks_mean"}


@dataclass(frozen=True)
class Scores:
    """Test-set errors of a model and of every baseline on the same activities."""

    rmse: float
    mae: float
    baselines: dict[str, float]

    @property
    def baseline_rmse(self) -> float:
        """The training mean's RMSE."""
        return self.baselines[MEAN]

    @property
    def sport_baseline_rmse(self) -> float:
        """The per-sport training mean's RMSE."""
        return self.baselines[SPORT_MEAN]

    @property
    def best_baseline(self) -> tuple[str, float]:
        """The baseline with the lowest RMSE (the first listed on a tie), and that RMSE."""
        name = min(self.baselines, key=lambda key: self.baselines[key])
        return name, self.baselines[name]


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


def baselines(train: pd.DataFrame, train_kudos: pd.Series, test: pd.DataFrame,
              test_kudos: pd.Series) -> dict[str, float]:
    """RMSE on the test set of each baseline: the training mean; the training mean per sport
    type (the overall mean for a sport the training set lacks); the trailing 4-week and 12-week
    means (each activity's mean kudos per activity of the 4 or 12 complete weeks before its own,
    the training mean when those weeks hold none). A growing account's trailing means are much
    harder to beat than its training mean."""
    mean = float(train_kudos.mean())
    by_sport = train_kudos.groupby(train["sport_type"].to_numpy()).mean()
    actual = test_kudos.to_numpy(dtype="float64")
    predictions = {MEAN: np.full(len(actual), mean),
                   SPORT_MEAN: test["sport_type"].map(by_sport).astype("float64").fillna(mean)}
    for name, feature in TRAILING_FEATURES.items():
        predictions[name] = test[feature].astype("float64").fillna(mean)
    return {name: rmse(np.asarray(values, dtype="float64"), actual)
            for name, values in predictions.items()}


def score(model: KudosModel, train: pd.DataFrame, train_kudos: pd.Series,
          test: pd.DataFrame, test_kudos: pd.Series) -> Scores:
    """The model's RMSE and MAE on the test set, next to every baseline."""
    predicted = predict(model, test)
    actual = test_kudos.to_numpy(dtype="float64")
    return Scores(rmse(predicted, actual), float(np.mean(np.abs(predicted - actual))),
                  baselines(train, train_kudos, test, test_kudos))


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
