-- Every activity up to the end of the run date (local wall clock; an activity without a start
-- falls out), one row each: what the dashboard's training charts, records and week table are
-- computed from. The mart activity_log holds exactly the columns the dashboard uses. Read-only.
SELECT *
FROM {{ ref('activity_log') }}
WHERE start_date_local < :day_after_run_date
  AND (:athlete_id = 0 OR athlete_id = :athlete_id)
ORDER BY start_date_local, id
