-- athletes list: each athlete's newest completed reconciliation (state store; needs athlete_id
-- on reconciliations, state migration 0004 of issue 26).
SELECT athlete_id, MAX(run_date), MAX(completed_at)
FROM reconciliations
GROUP BY athlete_id;
