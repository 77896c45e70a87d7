-- Production's rows a reconciliation of the run date covers: local start date on or before the
-- run date (start_date_local < :run_week_end), or no local start at all; the athlete's only
-- (:athlete_id; 0: every row, an install of one athlete).
SELECT COUNT(*) FROM {production_table}
WHERE (start_date_local < :run_week_end OR start_date_local IS NULL)
  AND (:athlete_id = 0 OR athlete_id = :athlete_id);
