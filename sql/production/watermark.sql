-- The newest activity start (UTC) that is safely in production among the activities the run date
-- covers: local start date on or before the run date (start_date_local < :run_date_end).
SELECT MAX(start_date) FROM {production_table}
WHERE start_date_local < :run_date_end;
