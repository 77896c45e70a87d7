-- The migrations applied to this database, one row each, written in the migration's own
-- transaction (pipeline/backends/migrations.py). Not a numbered migration: the runner creates it first.
CREATE TABLE IF NOT EXISTS schema_migrations (
    version VARCHAR(16) NOT NULL PRIMARY KEY,
    name VARCHAR(256) NOT NULL,
    applied_at TIMESTAMP NOT NULL
);
