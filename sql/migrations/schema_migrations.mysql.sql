-- The migrations applied to this state store, one row each (pipeline/backends/migrations.py).
CREATE TABLE IF NOT EXISTS schema_migrations (
    version VARCHAR(16) NOT NULL PRIMARY KEY,
    name VARCHAR(256) NOT NULL,
    applied_at DATETIME NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
