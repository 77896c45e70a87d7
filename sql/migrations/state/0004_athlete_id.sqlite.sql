-- 0004 (issue 26): many athletes on one application. The watermark history and the
-- reconciliations are per athlete: athlete_id joins their keys. Rows written before this
-- migration get athlete_id 0, "the install's single athlete": the upgrade step
-- (pipeline/athlete_upgrade.py) gives them that athlete's id and records it in
-- athlete_upgrades, with the newest run date those rows reached. webhook_events already carry
-- the athlete in owner_id. SQLite cannot change a primary key: each table is rebuilt.
CREATE TABLE last_extracted_0004 (
    athlete_id BIGINT NOT NULL DEFAULT 0,
    run_date DATE NOT NULL,
    watermark TIMESTAMP NULL,
    recorded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (athlete_id, run_date)
);
INSERT INTO last_extracted_0004 (athlete_id, run_date, watermark, recorded_at)
SELECT 0, run_date, watermark, recorded_at FROM last_extracted;
DROP TABLE last_extracted;
ALTER TABLE last_extracted_0004 RENAME TO last_extracted;

CREATE TABLE reconciliations_0004 (
    athlete_id BIGINT NOT NULL DEFAULT 0,
    run_date DATE NOT NULL,
    attempt INTEGER NOT NULL,
    completed_at TIMESTAMP NOT NULL,
    listed INTEGER NOT NULL,
    added INTEGER NOT NULL,
    changed INTEGER NOT NULL,
    removed INTEGER NOT NULL,
    PRIMARY KEY (athlete_id, run_date, attempt)
);
INSERT INTO reconciliations_0004 (athlete_id, run_date, attempt, completed_at, listed, added,
                                  changed, removed)
SELECT 0, run_date, attempt, completed_at, listed, added, changed, removed FROM reconciliations;
DROP TABLE reconciliations;
ALTER TABLE reconciliations_0004 RENAME TO reconciliations;

-- The athlete who took over an install's single-athlete rows (athlete_id 0), once: its targets
-- of run dates up to through_run_date keep their names without the athlete id, so nothing
-- finished is redone (docs/athletes.md).
CREATE TABLE IF NOT EXISTS athlete_upgrades (
    athlete_id BIGINT NOT NULL PRIMARY KEY,
    through_run_date DATE NULL,
    upgraded_at TIMESTAMP NOT NULL
);
