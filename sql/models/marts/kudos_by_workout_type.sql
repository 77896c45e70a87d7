-- Kudos of runs and rides by workout label; every label has a row, even with no activity.
SELECT
    l.sport_family,
    l.workout_type_label,
    l.label_order,
    COUNT(a.id) AS activity_count,
    CAST(COALESCE(SUM(a.kudos_count), 0) AS BIGINT) AS total_kudos,
    ROUND(CAST(AVG(CAST(a.kudos_count AS DOUBLE PRECISION)) AS NUMERIC(18, 6)), 1) AS avg_kudos,
    MAX(a.kudos_count) AS max_kudos,
    CAST(SUM(CASE WHEN a.kudos_count = 0 THEN 1 ELSE 0 END) AS BIGINT) AS zero_kudos_count,
    ROUND(CAST(COALESCE(SUM(a.distance_km), 0) AS NUMERIC(18, 6)), 1) AS distance_km,
    ROUND(CAST(CAST(SUM(a.kudos_count) AS DOUBLE PRECISION)
               / NULLIF(SUM(a.distance_km), 0) AS NUMERIC(18, 6)), 2) AS kudos_per_km,
    t.athlete_id
FROM {{ ref('stg_workout_types') }} AS l
CROSS JOIN (SELECT DISTINCT athlete_id FROM {{ ref('stg_activities') }}) AS t
LEFT JOIN {{ ref('stg_activities') }} AS a
    ON a.sport_family = l.sport_family AND a.workout_type_label = l.workout_type_label
    AND a.athlete_id = t.athlete_id
GROUP BY t.athlete_id, l.sport_family, l.workout_type_label, l.label_order
