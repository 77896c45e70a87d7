{{ config(materialized='view') }}
-- Every (sport family, workout label) the marts report, in display order: a label has a row in
-- the marts even in a week (or a history) without such an activity.
SELECT CAST('run' AS VARCHAR(8)) AS sport_family,
       CAST('default' AS VARCHAR(16)) AS workout_type_label, 1 AS label_order
UNION ALL SELECT 'run', 'race', 2
UNION ALL SELECT 'run', 'long run', 3
UNION ALL SELECT 'run', 'workout', 4
UNION ALL SELECT 'ride', 'default', 5
UNION ALL SELECT 'ride', 'race', 6
UNION ALL SELECT 'ride', 'workout', 7
