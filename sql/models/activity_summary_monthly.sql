-- Runs per local calendar month: distance, time, climbing and kudos.
SELECT
    CAST(DATE_TRUNC('month', start_date_local) AS DATE) AS activity_month,
    COUNT(*) AS run_count,
    ROUND(CAST(SUM(distance) / 1609.344 AS NUMERIC), 2) AS total_miles,
    ROUND(CAST(SUM(distance) / 1000.0 AS NUMERIC), 2) AS total_km,
    ROUND(CAST(SUM(moving_time) / 3600.0 AS NUMERIC), 2) AS total_moving_hours,
    ROUND(CAST(SUM(total_elevation_gain) AS NUMERIC), 1) AS total_elevation_gain_m,
    ROUND(CAST(AVG(CAST(kudos_count AS DOUBLE PRECISION)) AS NUMERIC), 1) AS avg_kudos,
    ROUND(CAST(STDDEV_SAMP(CAST(kudos_count AS DOUBLE PRECISION)) AS NUMERIC), 1) AS std_kudos,
    SUM(kudos_count) AS total_kudos
FROM {production_table}
WHERE sport_type IN ('Run', 'TrailRun', 'VirtualRun')
GROUP BY CAST(DATE_TRUNC('month', start_date_local) AS DATE)
