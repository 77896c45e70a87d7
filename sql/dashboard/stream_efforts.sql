-- The best 5 km and 10 km efforts of every run up to the end of the run date, oldest first:
-- the stream panel's best-effort progression. Read-only.
SELECT l.start_date_local, e.effort, e.best_seconds, l.name
FROM {{ ref('activity_best_efforts') }} AS e
JOIN {{ ref('activity_log') }} AS l ON l.id = e.activity_id
WHERE e.effort IN ('5 km', '10 km') AND l.start_date_local < :day_after_run_date
  AND (:athlete_id = 0 OR l.athlete_id = :athlete_id)
ORDER BY l.start_date_local, l.id
