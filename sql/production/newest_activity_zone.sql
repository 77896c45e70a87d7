-- The time zone of the athlete's newest activity in production (the athlete's zone for the
-- run-date rule; see pipeline/run_dates.py).
SELECT timezone FROM {production_table}
WHERE timezone IS NOT NULL AND start_date IS NOT NULL
ORDER BY start_date DESC, id DESC
LIMIT 1;
