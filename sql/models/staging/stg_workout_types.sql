{{ config(materialized='view') }}
-- The workout labels of each sport family, in display order, with Strava's workout_type code of
-- each: the one list of labels. stg_activities gives an activity the label of its family and
-- code, and 'default' (code NULL here) for any other code or none; a sport without a family has
-- no label. The marts report every label, even in a week (or a history) without such an
-- activity.
SELECT CAST('run' AS VARCHAR(8)) AS sport_family,
       CAST('default' AS VARCHAR(16)) AS workout_type_label, 1 AS label_order,
       CAST(NULL AS BIGINT) AS workout_type
UNION ALL SELECT 'run', 'race', 2, 1
UNION ALL SELECT 'run', 'long run', 3, 2
UNION ALL SELECT 'run', 'workout', 4, 3
UNION ALL SELECT 'ride', 'default', 5, NULL
UNION ALL SELECT 'ride', 'race', 6, 11
UNION ALL SELECT 'ride', 'workout', 7, 12
