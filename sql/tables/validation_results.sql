-- History of every validation check outcome: what a user reads, and what the dashboard shows.
-- status is one of: pass, warn, fail, error, skipped.
CREATE TABLE IF NOT EXISTS {validation_table} (
    run_date DATE NOT NULL,
    check_name VARCHAR(128) NOT NULL,
    left_value DOUBLE PRECISION,
    right_value DOUBLE PRECISION,
    operator VARCHAR(32),
    severity VARCHAR(16),
    status VARCHAR(16) NOT NULL,
    message VARCHAR(2048),
    checked_at TIMESTAMP NOT NULL
);
