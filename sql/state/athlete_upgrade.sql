-- The upgrade of a single-athlete install (pipeline/athlete_upgrade.py): the rows written before
-- state migration 0004 (athlete_id 0) become the athlete's, and the athlete is recorded with the
-- newest run date those rows reached; one transaction.
INSERT INTO athlete_upgrades (athlete_id, through_run_date, upgraded_at)
VALUES (:athlete_id, (SELECT MAX(run_date) FROM last_extracted WHERE athlete_id = 0),
        :upgraded_at);
UPDATE last_extracted SET athlete_id = :athlete_id WHERE athlete_id = 0;
UPDATE reconciliations SET athlete_id = :athlete_id WHERE athlete_id = 0;
