-- athletes list, one athlete and no athlete_id in the state store yet: the newest
-- completed reconciliation.
SELECT NULL, MAX(run_date), MAX(completed_at)
FROM reconciliations;
