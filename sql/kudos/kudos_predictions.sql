-- The champion's predicted kudos for the activities of the last 12 local weeks up to a run
-- date (its test window, which ends with the run's week). Replaced per run_date.
CREATE TABLE IF NOT EXISTS kudos_predictions (
    run_date DATE NOT NULL,
    activity_id BIGINT NOT NULL,
    model_version VARCHAR(64) NOT NULL,
    predicted_kudos DOUBLE PRECISION NOT NULL
);
