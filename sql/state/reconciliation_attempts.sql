-- The highest attempt recorded for an athlete's run date (NULL when none).
SELECT MAX(attempt) FROM reconciliations WHERE run_date = :run_date AND athlete_id = :athlete_id;
