-- Runs per local calendar month: distance, time, climbing and kudos.
-- Months bucket on start_date_local (the athlete's wall clock), never on UTC.
SELECT
    CAST(DATE_TRUNC('month', start_date_local) AS DATE) AS activity_month,
    COUNT(*) AS run_count,
    ROUND(CAST(COALESCE(SUM(distance), 0) / 1609.344 AS NUMERIC(18, 6)), 2) AS total_miles,
    ROUND(CAST(COALESCE(SUM(distance), 0) / 1000.0 AS NUMERIC(18, 6)), 2) AS total_km,
    ROUND(CAST(CAST(COALESCE(SUM(moving_time), 0) AS DOUBLE PRECISION) / 3600.0
               AS NUMERIC(18, 6)), 2) AS total_moving_hours,
    ROUND(CAST(COALESCE(SUM(total_elevation_gain), 0) AS NUMERIC(18, 6)), 1)
        AS total_elevation_gain_m,
    ROUND(CAST(AVG(CAST(kudos_count AS DOUBLE PRECISION)) AS NUMERIC(18, 6)), 1) AS avg_kudos,
    ROUND(CAST(STDDEV_SAMP(CAST(kudos_count AS DOUBLE PRECISION)) AS NUMERIC(18, 6)), 1)
        AS std_kudos,
    CAST(COALESCE(SUM(kudos_count), 0) AS BIGINT) AS total_kudos
FROM {production_table}
WHERE sport_type IN ('Run', 'TrailRun', 'VirtualRun')
GROUP BY CAST(DATE_TRUNC('month', start_date_local) AS DATE)
