-- Watermark history in the state store: one row per run date, written after the production
-- load of that date. Extraction reads the newest row for a date before its own.
CREATE TABLE IF NOT EXISTS last_extracted (
    run_date DATE NOT NULL PRIMARY KEY,
    watermark TIMESTAMP NULL,
    recorded_at TIMESTAMP NOT NULL
)
