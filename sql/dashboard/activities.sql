-- Every activity up to the end of the run date (local wall clock; an activity without a start
-- falls out), one row each: what the dashboard's training charts, records and week table are
-- computed from. Read-only.
SELECT
    id,
    name,
    sport_type,
    sport_family,
    workout_type_label,
    start_date_local,
    distance_m,
    moving_time_s,
    elevation_gain_m,
    average_heartrate,
    suffer_score,
    kudos_count,
    comment_count
FROM {{ ref('activity_log') }}
WHERE start_date_local < :day_after_run_date
ORDER BY start_date_local, id
