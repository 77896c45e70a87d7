-- Every kudos model run, oldest first (python -m pipeline.kudos report, the dashboard).
-- One athlete's (issue 26: :athlete_id; 0 on an install of one athlete: every row).
SELECT run_date, model_version, trained_at, n_train, n_test, rmse, mae, baseline_rmse,
       sport_baseline_rmse, trailing_4_weeks_rmse, trailing_12_weeks_rmse, best_baseline,
       best_baseline_rmse, promoted, reason
FROM kudos_model_runs
WHERE run_date <= :run_date
  AND (:athlete_id = 0 OR athlete_id = :athlete_id)
ORDER BY trained_at, model_version;
