-- The current champion: the newest promoted training.
SELECT model_version, model_sha256, rmse, run_date
FROM kudos_model_runs
WHERE promoted = TRUE AND model_version IS NOT NULL
ORDER BY trained_at DESC, model_version DESC
LIMIT 1;
