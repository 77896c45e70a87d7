-- The athlete's newest completed reconciliation of a run date before :before (every one when
-- :before is far in the future): run_date, attempt, completed_at, listed, added, changed, removed.
SELECT run_date, attempt, completed_at, listed, added, changed, removed
FROM reconciliations
WHERE run_date < :before AND athlete_id = :athlete_id
ORDER BY run_date DESC, attempt DESC
LIMIT 1;
