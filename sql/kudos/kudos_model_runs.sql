-- One row per TrainKudosModel run: a training (model_version and model_sha256 set) or a
-- recorded skip (both NULL, reason says why). promoted marks the champion at that time; the
-- current champion is the newest promoted row. data_fingerprint is the SHA-256 of the
-- production rows the run read: equal to the last training's means nothing changed.
CREATE TABLE IF NOT EXISTS kudos_model_runs (
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
