-- The current champion: the newest promoted training.
-- One athlete's (issue 26: :athlete_id; 0 on an install of one athlete: every row).
SELECT model_version, model_sha256, rmse, run_date
FROM kudos_model_runs
WHERE promoted = TRUE AND model_version IS NOT NULL
  AND (:athlete_id = 0 OR athlete_id = :athlete_id)
ORDER BY trained_at DESC, model_version DESC
LIMIT 1;
