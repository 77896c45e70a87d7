-- Week-over-week change of kudos by workout label (runs and rides), every week of the spine,
-- including weeks without activities. The percentage is NULL when the previous week had no
-- kudos (no division by zero) and for the first week.
WITH weekly AS (
    SELECT week_start, sport_family, workout_type_label,
           COUNT(*) AS activity_count,
           COALESCE(SUM(kudos_count), 0) AS total_kudos
    FROM {{ ref('stg_activities') }}
    WHERE sport_family IS NOT NULL
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
    FROM {{ ref('stg_weeks') }} AS w
    CROSS JOIN {{ ref('stg_workout_types') }} AS l
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
