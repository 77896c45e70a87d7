-- The activities of the dashboard's window (:since, the first day of its 53 weeks or of the run
-- date's year, whichever is earlier, to the end of the run date; local wall clock; an activity
-- without a start falls out), one row each: the weekly charts, the calendar, this week's and
-- this year's totals and the week table. Older history reaches the page only aggregated
-- (daily_totals.sql, records.sql). The mart activity_log holds exactly the columns the
-- dashboard uses. Read-only.
SELECT *
FROM {{ ref('activity_log') }}
WHERE start_date_local >= :since AND start_date_local < :day_after_run_date
  AND (:athlete_id = 0 OR athlete_id = :athlete_id)
ORDER BY start_date_local, id
