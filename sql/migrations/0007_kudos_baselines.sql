-- 0007 (issue 22): the kudos model is judged against its best baseline. Besides the training
-- mean (baseline_rmse) and the per-sport mean (sport_baseline_rmse), each training records the
-- test RMSE of the trailing 4-week and 12-week means (each test activity predicted by the mean
-- kudos per activity of the 4 or 12 complete weeks before its own) and which baseline was best;
-- a model is promoted only when it beats that one on the same test activities.
-- One column per ALTER TABLE (Redshift); NULL for earlier rows.
ALTER TABLE kudos_model_runs ADD COLUMN trailing_4_weeks_rmse DOUBLE PRECISION;
ALTER TABLE kudos_model_runs ADD COLUMN trailing_12_weeks_rmse DOUBLE PRECISION;
ALTER TABLE kudos_model_runs ADD COLUMN best_baseline VARCHAR(64);
ALTER TABLE kudos_model_runs ADD COLUMN best_baseline_rmse DOUBLE PRECISION;
