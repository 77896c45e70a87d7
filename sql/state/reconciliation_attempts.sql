-- The highest attempt recorded for a run date (NULL when none).
SELECT MAX(attempt) FROM reconciliations WHERE run_date = :run_date;
