-- 0005: the athlete's archive as a source (issue 21, pipeline/archive/).

-- The activities an archive import inserted, and when (production's extracted_at of that row).
-- A newer archive may replace such a row only while production still holds that very row
-- (extracted_at = imported_at): once the API loaded the activity, the API's values stay.
CREATE TABLE archive_activities (
    id BIGINT NOT NULL PRIMARY KEY,
    imported_at TIMESTAMP NOT NULL,
    archive_id VARCHAR(64) NOT NULL
);

-- The per-sample streams of the activity files (FIT, GPX, TCX), one row per sample.
CREATE TABLE activity_streams (
    activity_id BIGINT NOT NULL,
    elapsed_seconds DOUBLE PRECISION NOT NULL,
    lat DOUBLE PRECISION,
    lng DOUBLE PRECISION,
    distance DOUBLE PRECISION,
    altitude DOUBLE PRECISION,
    heart_rate DOUBLE PRECISION,
    cadence DOUBLE PRECISION,
    power DOUBLE PRECISION,
    temperature DOUBLE PRECISION,
    moving BOOLEAN
);
