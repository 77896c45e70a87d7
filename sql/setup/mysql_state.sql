-- One-time setup of the MySQL/MariaDB state database, run by an administrator:
--
--   mysql -h HOST -u ADMIN -p -e "CREATE USER 'strava_pipeline'@'%' IDENTIFIED BY '...'"
--   mysql -h HOST -u ADMIN -p < sql/setup/mysql_state.sql
--
-- (type the password at the prompt or in the first command; never commit it). Then
--   STATE_URL=mysql://strava_pipeline:PASSWORD@HOST:3306/strava_state
-- The pipeline applies its migrations (sql/migrations/state/) when it starts, which needs CREATE
-- and ALTER; the table below is migration 0001, so a store set up here is already at 0001's shape.
CREATE DATABASE IF NOT EXISTS strava_state CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

CREATE TABLE IF NOT EXISTS strava_state.last_extracted (
    run_date DATE NOT NULL PRIMARY KEY,
    watermark DATETIME NULL,
    recorded_at DATETIME NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER ON strava_state.* TO 'strava_pipeline'@'%';
