-- Week-over-week change of kudos by workout type (runs and rides), every local Monday week from
-- the first activity's week to the run date's week, including weeks without activities.
-- The percentage is NULL when the previous week had no kudos (no division by zero) and for the
-- first week. The week spine is a digits cross join (no generate_series, no recursion limit).
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
labels AS (
    SELECT CAST('run' AS VARCHAR(8)) AS sport_family,
           CAST('default' AS VARCHAR(16)) AS workout_type_label, 1 AS label_order
    UNION ALL SELECT 'run', 'race', 2
    UNION ALL SELECT 'run', 'long run', 3
    UNION ALL SELECT 'run', 'workout', 4
    UNION ALL SELECT 'ride', 'default', 5
    UNION ALL SELECT 'ride', 'race', 6
    UNION ALL SELECT 'ride', 'workout', 7
),
labelled AS (
    SELECT
        CAST(DATE_TRUNC('week', start_date_local) AS DATE) AS week_start,
        CASE WHEN sport_type IN ('Run', 'TrailRun', 'VirtualRun') THEN 'run' ELSE 'ride' END
            AS sport_family,
        CASE
            WHEN sport_type IN ('Run', 'TrailRun', 'VirtualRun') THEN
                CASE workout_type WHEN 1 THEN 'race' WHEN 2 THEN 'long run'
                                  WHEN 3 THEN 'workout' ELSE 'default' END
            ELSE CASE workout_type WHEN 11 THEN 'race' WHEN 12 THEN 'workout'
                                   ELSE 'default' END
        END AS workout_type_label,
        kudos_count
    FROM {production_table}
    WHERE sport_type IN ('Run', 'TrailRun', 'VirtualRun', 'Ride', 'GravelRide',
                         'MountainBikeRide', 'EBikeRide', 'EMountainBikeRide', 'VirtualRide')
),
weekly AS (
    SELECT week_start, sport_family, workout_type_label,
           COUNT(*) AS activity_count,
           COALESCE(SUM(kudos_count), 0) AS total_kudos
    FROM labelled
    GROUP BY week_start, sport_family, workout_type_label
),
filled AS (
    SELECT
        w.week_start,
        l.sport_family,
        l.workout_type_label,
        l.label_order,
        CAST(COALESCE(k.activity_count, 0) AS BIGINT) AS activity_count,
        CAST(COALESCE(k.total_kudos, 0) AS BIGINT) AS total_kudos
    FROM weeks AS w
    CROSS JOIN labels AS l
    LEFT JOIN weekly AS k
        ON k.week_start = w.week_start
        AND k.sport_family = l.sport_family
        AND k.workout_type_label = l.workout_type_label
),
with_previous AS (
    SELECT
        filled.*,
        LAG(total_kudos) OVER (
            PARTITION BY sport_family, workout_type_label ORDER BY week_start
        ) AS previous_week_kudos
    FROM filled
)
SELECT
    week_start,
    sport_family,
    workout_type_label,
    label_order,
    activity_count,
    total_kudos,
    previous_week_kudos,
    total_kudos - previous_week_kudos AS kudos_change,
    ROUND(CAST(100.0 * CAST(total_kudos - previous_week_kudos AS DOUBLE PRECISION)
               / NULLIF(previous_week_kudos, 0) AS NUMERIC(18, 6)), 1) AS kudos_change_pct
FROM with_previous
