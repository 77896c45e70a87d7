-- 0004 (issue 26): many athletes on one application. The watermark history and the
-- reconciliations are per athlete: athlete_id joins their keys. Rows written before this
-- migration get athlete_id 0, "the install's single athlete": the upgrade step
-- (pipeline/athlete_upgrade.py) gives them that athlete's id and records it in
-- athlete_upgrades, with the newest run date those rows reached. webhook_events already carry
-- the athlete in owner_id. MySQL commits DDL at once: every statement may run again safely.
ALTER TABLE last_extracted ADD COLUMN IF NOT EXISTS athlete_id BIGINT NOT NULL DEFAULT 0 FIRST;
ALTER TABLE last_extracted DROP PRIMARY KEY, ADD PRIMARY KEY (athlete_id, run_date);

ALTER TABLE reconciliations ADD COLUMN IF NOT EXISTS athlete_id BIGINT NOT NULL DEFAULT 0 FIRST;
ALTER TABLE reconciliations DROP PRIMARY KEY, ADD PRIMARY KEY (athlete_id, run_date, attempt);

-- The athlete who took over an install's single-athlete rows (athlete_id 0), once: its targets
-- of run dates up to through_run_date keep their names without the athlete id, so nothing
-- finished is redone (docs/athletes.md).
CREATE TABLE IF NOT EXISTS athlete_upgrades (
    athlete_id BIGINT NOT NULL PRIMARY KEY,
    through_run_date DATE NULL,
    upgraded_at DATETIME NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
