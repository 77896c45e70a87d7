-- Every activity per local calendar year (the current year is the year to date).
SELECT
    activity_year,
    COUNT(*) AS activity_count,
    CAST(SUM(CASE WHEN sport_family = 'run' THEN 1 ELSE 0 END) AS BIGINT) AS run_count,
    ROUND(CAST(COALESCE(SUM(distance_km), 0) AS NUMERIC(18, 6)), 1) AS distance_km,
    ROUND(CAST(COALESCE(SUM(CASE WHEN sport_family = 'run' THEN distance_km END), 0)
               AS NUMERIC(18, 6)), 1) AS run_distance_km,
    ROUND(CAST(COALESCE(SUM(moving_hours), 0) AS NUMERIC(18, 6)), 1) AS moving_hours,
    ROUND(CAST(COALESCE(SUM(total_elevation_gain), 0) AS NUMERIC(18, 6)), 0) AS elevation_gain_m,
    CAST(COALESCE(SUM(kudos_count), 0) AS BIGINT) AS total_kudos,
    ROUND(CAST(AVG(CAST(kudos_count AS DOUBLE PRECISION)) AS NUMERIC(18, 6)), 1) AS avg_kudos,
    CAST(SUM(CASE WHEN kudos_count = 0 THEN 1 ELSE 0 END) AS BIGINT) AS zero_kudos_activities,
    athlete_id
FROM {{ ref('stg_activities') }}
WHERE start_date_local IS NOT NULL
GROUP BY athlete_id, activity_year
