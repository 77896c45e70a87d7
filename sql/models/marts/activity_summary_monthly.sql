-- Runs per local calendar month: distance, time, climbing and kudos.
SELECT
    activity_month,
    COUNT(*) AS run_count,
    ROUND(CAST(COALESCE(SUM(distance_miles), 0) AS NUMERIC(18, 6)), 2) AS total_miles,
    ROUND(CAST(COALESCE(SUM(distance_km), 0) AS NUMERIC(18, 6)), 2) AS total_km,
    ROUND(CAST(COALESCE(SUM(moving_hours), 0) AS NUMERIC(18, 6)), 2) AS total_moving_hours,
    ROUND(CAST(COALESCE(SUM(total_elevation_gain), 0) AS NUMERIC(18, 6)), 1)
        AS total_elevation_gain_m,
    ROUND(CAST(AVG(CAST(kudos_count AS DOUBLE PRECISION)) AS NUMERIC(18, 6)), 1) AS avg_kudos,
    ROUND(CAST(STDDEV_SAMP(CAST(kudos_count AS DOUBLE PRECISION)) AS NUMERIC(18, 6)), 1)
        AS std_kudos,
    CAST(COALESCE(SUM(kudos_count), 0) AS BIGINT) AS total_kudos,
    athlete_id
FROM {{ ref('stg_activities') }}
WHERE sport_family = 'run'
GROUP BY athlete_id, activity_month
