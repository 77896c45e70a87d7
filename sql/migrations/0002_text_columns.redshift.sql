-- 0002: text columns hold what Strava allows, as far as Redshift can. Redshift counts VARCHAR
-- lengths in bytes and stops at 65,535, so VARCHAR(65535) holds at least 16,383 characters of
-- any kind (4 bytes each in UTF-8) and 65,535 ASCII ones. The one rule for longer values:
-- staging is loaded with COPY ... TRUNCATECOLUMNS, which cuts a value to the column's width
-- on a character boundary (docs/reliability.md). ALTER COLUMN TYPE cannot run inside a transaction
-- on Redshift, so the table is deep-copied in one: same columns, same order, rows kept.
CREATE TABLE strava_activity_data_0002 (
    id BIGINT NOT NULL PRIMARY KEY,
    athlete_id BIGINT,
    name VARCHAR(65535),
    distance DOUBLE PRECISION,
    moving_time BIGINT,
    elapsed_time BIGINT,
    total_elevation_gain DOUBLE PRECISION,
    type VARCHAR(65535),
    sport_type VARCHAR(65535),
    workout_type BIGINT,
    start_date TIMESTAMP,
    start_date_local TIMESTAMP,
    timezone VARCHAR(65535),
    utc_offset BIGINT,
    location_country VARCHAR(65535),
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
    visibility VARCHAR(65535),
    gear_id VARCHAR(65535),
    average_watts DOUBLE PRECISION,
    kilojoules DOUBLE PRECISION,
    extracted_at TIMESTAMP
);

INSERT INTO strava_activity_data_0002 SELECT * FROM {production_table};

DROP TABLE {production_table};

ALTER TABLE strava_activity_data_0002 RENAME TO {production_table};
