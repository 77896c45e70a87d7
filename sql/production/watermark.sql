-- The newest activity start (UTC) that is safely in production among the activities the run date
-- covers: local start date on or before the run date (start_date_local < :run_date_end), of the
-- athlete (:athlete_id; 0: every row, an install of one athlete).
SELECT MAX(start_date) FROM {production_table}
WHERE start_date_local < :run_date_end
  AND (:athlete_id = 0 OR athlete_id = :athlete_id);
