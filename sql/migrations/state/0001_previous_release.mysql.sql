-- 0001: the MySQL/MariaDB state store of the previous release (IF NOT EXISTS keeps an existing
-- one). DATETIME, not TIMESTAMP: no conversion through the session time zone, no 2038 limit;
-- values are naive UTC like everywhere else in the pipeline.
CREATE TABLE IF NOT EXISTS last_extracted (
    run_date DATE NOT NULL PRIMARY KEY,
    watermark DATETIME NULL,
    recorded_at DATETIME NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
