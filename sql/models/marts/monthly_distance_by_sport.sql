-- Distance, time and kudos per local calendar month and sport (months with activities).
SELECT
    activity_month,
    sport_type,
    COUNT(*) AS activity_count,
    ROUND(CAST(COALESCE(SUM(distance_km), 0) AS NUMERIC(18, 6)), 2) AS distance_km,
    ROUND(CAST(COALESCE(SUM(moving_hours), 0) AS NUMERIC(18, 6)), 2) AS moving_hours,
    CAST(COALESCE(SUM(kudos_count), 0) AS BIGINT) AS total_kudos,
    athlete_id
FROM {{ ref('stg_activities') }}
WHERE start_date_local IS NOT NULL AND sport_type IS NOT NULL
GROUP BY athlete_id, activity_month, sport_type
