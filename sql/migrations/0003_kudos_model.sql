-- 0003: the kudos model's tables (pipeline/kudos/, issue 14).

-- One row per TrainKudosModel run: a training (model_version and model_sha256 set) or a
-- recorded skip (both NULL, reason says why). promoted marks the champion at that time; the
-- current champion is the newest promoted row. data_fingerprint is the SHA-256 of the
-- production rows the run read: equal to the last training's means nothing changed.
CREATE TABLE kudos_model_runs (
    run_date DATE NOT NULL,
    model_version VARCHAR(64),
    trained_at TIMESTAMP NOT NULL,
    n_train BIGINT,
    n_test BIGINT,
    rmse DOUBLE PRECISION,
    mae DOUBLE PRECISION,
    baseline_rmse DOUBLE PRECISION,
    sport_baseline_rmse DOUBLE PRECISION,
    promoted BOOLEAN NOT NULL,
    reason VARCHAR(1024) NOT NULL,
    model_sha256 VARCHAR(64),
    data_fingerprint VARCHAR(64)
);

-- The champion's predicted kudos for the activities of the last 12 local weeks up to a run
-- date (its test window, which ends with the run's week). Replaced per run_date.
CREATE TABLE kudos_predictions (
    run_date DATE NOT NULL,
    activity_id BIGINT NOT NULL,
    model_version VARCHAR(64) NOT NULL,
    predicted_kudos DOUBLE PRECISION NOT NULL
);

-- Permutation importance of each trained model on its test set: how much the test RMSE grows
-- when one feature's values are shuffled (mean and standard deviation over the repeats).
CREATE TABLE kudos_feature_importance (
    model_version VARCHAR(64) NOT NULL,
    feature VARCHAR(64) NOT NULL,
    importance_mean DOUBLE PRECISION NOT NULL,
    importance_std DOUBLE PRECISION NOT NULL
);
