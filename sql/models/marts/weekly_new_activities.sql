-- The activities of every run's week (its Monday to its run date: pipeline/run_dates.py), each
-- with its run date: the dashboard of a date reads its own rows, so a later (or earlier) run
-- never changes what a date shows.
SELECT
    r.run_date,
    a.id,
    a.start_date_local,
    a.name,
    a.sport_type,
    a.workout_type_label,
    ROUND(CAST(a.distance_km AS NUMERIC(18, 6)), 2) AS distance_km,
    ROUND(CAST(a.moving_minutes AS NUMERIC(18, 6)), 1) AS moving_minutes,
    ROUND(CAST(COALESCE(a.total_elevation_gain, 0) AS NUMERIC(18, 6)), 1) AS elevation_gain_m,
    a.kudos_count,
    a.comment_count,
    a.athlete_id
FROM {{ ref('stg_run_weeks') }} AS r
JOIN {{ ref('stg_activities') }} AS a
    ON a.start_date_local >= r.starts_at AND a.start_date_local < r.ends_at
