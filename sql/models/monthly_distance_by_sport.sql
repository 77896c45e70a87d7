-- Distance, time and kudos per local calendar month and sport (months with activities).
SELECT
    CAST(DATE_TRUNC('month', start_date_local) AS DATE) AS activity_month,
    sport_type,
    COUNT(*) AS activity_count,
    ROUND(CAST(COALESCE(SUM(distance), 0) / 1000.0 AS NUMERIC(18, 6)), 2) AS distance_km,
    ROUND(CAST(CAST(COALESCE(SUM(moving_time), 0) AS DOUBLE PRECISION) / 3600.0
               AS NUMERIC(18, 6)), 2) AS moving_hours,
    CAST(COALESCE(SUM(kudos_count), 0) AS BIGINT) AS total_kudos
FROM {production_table}
WHERE start_date_local IS NOT NULL AND sport_type IS NOT NULL
GROUP BY CAST(DATE_TRUNC('month', start_date_local) AS DATE), sport_type
