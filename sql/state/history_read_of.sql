-- Whether a backfill's read of the athlete's whole history through :run_date counts as that
-- date's reconciliation (attempt 0: no Reconcile ran; pipeline/tasks/backfill.py).
SELECT COUNT(*) FROM reconciliations
WHERE run_date = :run_date AND athlete_id = :athlete_id AND attempt = 0;
