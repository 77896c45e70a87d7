-- Distance, time, climbing and kudos per local Monday week and sport, for every week from the
-- first activity's week to the run date's week and every sport the athlete has done (zeros in
-- weeks without that sport).
WITH digits AS (
    SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
    UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9
),
week_numbers AS (
    SELECT ones.d + 10 * tens.d + 100 * hundreds.d + 1000 * thousands.d AS n
    FROM digits AS ones
    CROSS JOIN digits AS tens
    CROSS JOIN digits AS hundreds
    CROSS JOIN digits AS thousands
),
bounds AS (
    SELECT
        CAST(DATE_TRUNC('week', MIN(start_date_local)) AS DATE) AS first_week,
        CAST(DATE_TRUNC('week', CAST(:run_date AS TIMESTAMP)) AS DATE) AS last_week
    FROM {production_table}
),
weeks AS (
    SELECT b.first_week + 7 * w.n AS week_start
    FROM bounds AS b
    CROSS JOIN week_numbers AS w
    WHERE b.first_week + 7 * w.n <= b.last_week
),
sports AS (
    SELECT DISTINCT sport_type FROM {production_table} WHERE sport_type IS NOT NULL
),
weekly AS (
    SELECT
        CAST(DATE_TRUNC('week', start_date_local) AS DATE) AS week_start,
        sport_type,
        COUNT(*) AS activity_count,
        SUM(distance) AS distance_m,
        SUM(moving_time) AS moving_s,
        SUM(total_elevation_gain) AS elevation_m,
        SUM(kudos_count) AS kudos
    FROM {production_table}
    GROUP BY CAST(DATE_TRUNC('week', start_date_local) AS DATE), sport_type
)
SELECT
    w.week_start,
    s.sport_type,
    CAST(COALESCE(k.activity_count, 0) AS BIGINT) AS activity_count,
    ROUND(CAST(COALESCE(k.distance_m, 0) / 1000.0 AS NUMERIC(18, 6)), 2) AS distance_km,
    ROUND(CAST(CAST(COALESCE(k.moving_s, 0) AS DOUBLE PRECISION) / 3600.0 AS NUMERIC(18, 6)), 2)
        AS moving_hours,
    ROUND(CAST(COALESCE(k.elevation_m, 0) AS NUMERIC(18, 6)), 1) AS elevation_gain_m,
    CAST(COALESCE(k.kudos, 0) AS BIGINT) AS total_kudos
FROM weeks AS w
CROSS JOIN sports AS s
LEFT JOIN weekly AS k ON k.week_start = w.week_start AND k.sport_type = s.sport_type
