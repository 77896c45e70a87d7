-- One row per local day with activities, from the first to the run date: metres, moving
-- seconds and training load (Strava's suffer score where present, else moving minutes:
-- pipeline/dashboard/training.py), for the year-over-year chart and the fitness curve. Its size
-- is the number of days, not of activities. Read-only.
SELECT
    CAST(start_date_local AS DATE) AS day,
    SUM(distance_m) AS distance_m,
    SUM(moving_time_s) AS moving_time_s,
    SUM(COALESCE(suffer_score, moving_time_s / 60.0)) AS load
FROM {{ ref('activity_log') }}
WHERE start_date_local < :day_after_run_date
  AND (:athlete_id = 0 OR athlete_id = :athlete_id)
GROUP BY CAST(start_date_local AS DATE)
ORDER BY day
