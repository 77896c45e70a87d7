-- The newest training, promoted or not (what "production changed since" compares against, and
-- when a retraining is due: its run date and how many labelled activities it learnt from).
-- One athlete's (issue 26: :athlete_id; 0 on an install of one athlete: every row).
SELECT model_version, data_fingerprint, run_date, n_train, n_test
FROM kudos_model_runs
WHERE model_sha256 IS NOT NULL
  AND (:athlete_id = 0 OR athlete_id = :athlete_id)
ORDER BY trained_at DESC, model_version DESC
LIMIT 1;
