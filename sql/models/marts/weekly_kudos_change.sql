-- Week-over-week change of kudos by workout label (runs and rides), every week of the spine,
-- including weeks without activities. The percentage is NULL when the previous week had no
-- kudos (no division by zero) and for the first week. The newest run's week is unfinished
-- when its run date is not a Sunday (pipeline/run_dates.py): week_finished is false and it
-- gets no change (kudos_change and kudos_change_pct NULL) until a Sunday's run covers it.
WITH newest_run AS (
    SELECT week_start, CAST(ends_at AS DATE) - week_start >= 7 AS week_finished
    FROM {{ ref('stg_run_weeks') }}
    WHERE run_date = (SELECT MAX(run_date) FROM {{ ref('stg_run_weeks') }})
),
weekly AS (
    SELECT athlete_id, week_start, sport_family, workout_type_label,
           COUNT(*) AS activity_count,
           COALESCE(SUM(kudos_count), 0) AS total_kudos
    FROM {{ ref('stg_activities') }}
    WHERE sport_family IS NOT NULL
    GROUP BY athlete_id, week_start, sport_family, workout_type_label
),
athletes AS (
    SELECT athlete_id, MIN(week_start) AS first_week FROM {{ ref('stg_activities') }}
    GROUP BY athlete_id
),
filled AS (
    SELECT
        t.athlete_id,
        w.week_start,
        l.sport_family,
        l.workout_type_label,
        l.label_order,
        CAST(COALESCE(k.activity_count, 0) AS BIGINT) AS activity_count,
        CAST(COALESCE(k.total_kudos, 0) AS BIGINT) AS total_kudos
    FROM {{ ref('stg_weeks') }} AS w
    JOIN athletes AS t ON w.week_start >= t.first_week
    CROSS JOIN {{ ref('stg_workout_types') }} AS l
    LEFT JOIN weekly AS k
        ON k.athlete_id = t.athlete_id
        AND k.week_start = w.week_start
        AND k.sport_family = l.sport_family
        AND k.workout_type_label = l.workout_type_label
),
with_previous AS (
    SELECT
        filled.*,
        LAG(total_kudos) OVER (
            PARTITION BY athlete_id, sport_family, workout_type_label ORDER BY week_start
        ) AS previous_week_kudos
    FROM filled
)
SELECT
    p.week_start,
    p.sport_family,
    p.workout_type_label,
    p.label_order,
    p.activity_count,
    p.total_kudos,
    p.previous_week_kudos,
    CASE WHEN COALESCE(n.week_finished, TRUE) THEN p.total_kudos - p.previous_week_kudos
    END AS kudos_change,
    CASE WHEN COALESCE(n.week_finished, TRUE) THEN
        ROUND(CAST(100.0 * CAST(p.total_kudos - p.previous_week_kudos AS DOUBLE PRECISION)
                   / NULLIF(p.previous_week_kudos, 0) AS NUMERIC(18, 6)), 1)
    END AS kudos_change_pct,
    COALESCE(n.week_finished, TRUE) AS week_finished,
    p.athlete_id
FROM with_previous AS p
LEFT JOIN newest_run AS n ON n.week_start = p.week_start
