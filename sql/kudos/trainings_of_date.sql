-- How many trainings a run date already has (a forced retrain gets the next version number).
-- One athlete's (issue 26: :athlete_id; 0 on an install of one athlete: every row).
SELECT COUNT(*)
FROM kudos_model_runs
WHERE run_date = :run_date AND model_sha256 IS NOT NULL
  AND (:athlete_id = 0 OR athlete_id = :athlete_id);
