-- 0001: the SQLite state store of the previous release: the watermark history, one row per run
-- date, written after the production load of that date. IF NOT EXISTS keeps an existing one.
CREATE TABLE IF NOT EXISTS last_extracted (
    run_date DATE NOT NULL PRIMARY KEY,
    watermark TIMESTAMP NULL,
    recorded_at TIMESTAMP NOT NULL
);
