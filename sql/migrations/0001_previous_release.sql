-- 0001: the warehouse schema of the previous release (what ensure_schema created): production,
-- Luigi's marker table and the validation history. IF NOT EXISTS: a warehouse built by that
-- release already has these tables and keeps them, rows and all.

CREATE TABLE IF NOT EXISTS {production_table} (
    id BIGINT NOT NULL PRIMARY KEY,
    athlete_id BIGINT,
    name VARCHAR(2048),
    distance DOUBLE PRECISION,
    moving_time BIGINT,
    elapsed_time BIGINT,
    total_elevation_gain DOUBLE PRECISION,
    type VARCHAR(64),
    sport_type VARCHAR(64),
    workout_type BIGINT,
    start_date TIMESTAMP,
    start_date_local TIMESTAMP,
    timezone VARCHAR(128),
    utc_offset BIGINT,
    location_country VARCHAR(256),
    achievement_count BIGINT,
    kudos_count BIGINT,
    comment_count BIGINT,
    athlete_count BIGINT,
    photo_count BIGINT,
    pr_count BIGINT,
    average_speed DOUBLE PRECISION,
    max_speed DOUBLE PRECISION,
    average_cadence DOUBLE PRECISION,
    average_temp DOUBLE PRECISION,
    average_heartrate DOUBLE PRECISION,
    max_heartrate DOUBLE PRECISION,
    suffer_score DOUBLE PRECISION,
    elev_high DOUBLE PRECISION,
    elev_low DOUBLE PRECISION,
    lat DOUBLE PRECISION,
    lng DOUBLE PRECISION,
    end_lat DOUBLE PRECISION,
    end_lng DOUBLE PRECISION,
    summary_polyline VARCHAR(65535),
    trainer BOOLEAN,
    commute BOOLEAN,
    manual BOOLEAN,
    private BOOLEAN,
    visibility VARCHAR(32),
    gear_id VARCHAR(64),
    average_watts DOUBLE PRECISION,
    kilojoules DOUBLE PRECISION,
    extracted_at TIMESTAMP
);

CREATE TABLE IF NOT EXISTS {marker_table} (
    update_id VARCHAR(256) NOT NULL PRIMARY KEY,
    target_table VARCHAR(256),
    inserted TIMESTAMP
);

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
