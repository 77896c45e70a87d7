-- Kudos of runs and rides by workout type, with readable labels for Strava's codes.
-- Runs: 0 or NULL default, 1 race, 2 long run, 3 workout. Rides: 10 or NULL default, 11 race,
-- 12 workout. Any other code counts as default. Every label has a row, even with no activity.
WITH labels AS (
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
        CASE WHEN sport_type IN ('Run', 'TrailRun', 'VirtualRun') THEN 'run' ELSE 'ride' END
            AS sport_family,
        CASE
            WHEN sport_type IN ('Run', 'TrailRun', 'VirtualRun') THEN
                CASE workout_type WHEN 1 THEN 'race' WHEN 2 THEN 'long run'
                                  WHEN 3 THEN 'workout' ELSE 'default' END
            ELSE CASE workout_type WHEN 11 THEN 'race' WHEN 12 THEN 'workout'
                                   ELSE 'default' END
        END AS workout_type_label,
        kudos_count,
        distance
    FROM {production_table}
    WHERE sport_type IN ('Run', 'TrailRun', 'VirtualRun', 'Ride', 'GravelRide',
                         'MountainBikeRide', 'EBikeRide', 'EMountainBikeRide', 'VirtualRide')
)
SELECT
    l.sport_family,
    l.workout_type_label,
    l.label_order,
    COUNT(a.workout_type_label) AS activity_count,
    CAST(COALESCE(SUM(a.kudos_count), 0) AS BIGINT) AS total_kudos,
    ROUND(CAST(AVG(CAST(a.kudos_count AS DOUBLE PRECISION)) AS NUMERIC(18, 6)), 1) AS avg_kudos,
    MAX(a.kudos_count) AS max_kudos,
    CAST(SUM(CASE WHEN a.kudos_count = 0 THEN 1 ELSE 0 END) AS BIGINT) AS zero_kudos_count,
    ROUND(CAST(COALESCE(SUM(a.distance), 0) / 1000.0 AS NUMERIC(18, 6)), 1) AS distance_km,
    ROUND(CAST(CAST(SUM(a.kudos_count) AS DOUBLE PRECISION)
               / NULLIF(SUM(a.distance) / 1000.0, 0) AS NUMERIC(18, 6)), 2) AS kudos_per_km
FROM labels AS l
LEFT JOIN labelled AS a
    ON a.sport_family = l.sport_family AND a.workout_type_label = l.workout_type_label
GROUP BY l.sport_family, l.workout_type_label, l.label_order
