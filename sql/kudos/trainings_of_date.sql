-- How many trainings a run date already has (a forced retrain gets the next version number).
SELECT COUNT(*)
FROM kudos_model_runs
WHERE run_date = :run_date AND model_sha256 IS NOT NULL;
