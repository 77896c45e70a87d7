-- 0002 (issue 20): every completed reconciliation of the whole history (strava-pipeline
-- reconcile, or WeeklyPipeline when one is due), and the webhook events received.
CREATE TABLE IF NOT EXISTS reconciliations (
    run_date DATE NOT NULL,
    attempt INTEGER NOT NULL,
    completed_at DATETIME NOT NULL,
    listed INTEGER NOT NULL,
    added INTEGER NOT NULL,
    changed INTEGER NOT NULL,
    removed INTEGER NOT NULL,
    PRIMARY KEY (run_date, attempt)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Strava's push events, stored before the receiver answers 200; one row per event whatever
-- how often Strava retries it. applied_at is set once ApplyEvents has applied it.
CREATE TABLE IF NOT EXISTS webhook_events (
    subscription_id BIGINT NOT NULL,
    object_type VARCHAR(16) NOT NULL,
    object_id BIGINT NOT NULL,
    aspect_type VARCHAR(16) NOT NULL,
    event_time BIGINT NOT NULL,
    owner_id BIGINT NOT NULL,
    updates TEXT NULL,
    received_at DATETIME NOT NULL,
    applied_at DATETIME NULL,
    outcome VARCHAR(200) NULL,
    PRIMARY KEY (subscription_id, object_type, object_id, aspect_type, event_time)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
