-- Marker table in Luigi's shape (luigi.contrib.postgres): one row per finished dated stage.
CREATE TABLE IF NOT EXISTS {marker_table} (
    update_id VARCHAR(256) NOT NULL PRIMARY KEY,
    target_table VARCHAR(256),
    inserted TIMESTAMP
);
