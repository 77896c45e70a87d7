-- Per local Monday week with heart-rate samples: minutes in each heart-rate zone and the
-- week's training load (the sum of its activities' Edwards TRIMP, activity_training_load).
SELECT
    a.week_start,
    SUM(CASE WHEN z.zone = 1 THEN z.seconds ELSE 0 END) / 60.0 AS zone1_minutes,
    SUM(CASE WHEN z.zone = 2 THEN z.seconds ELSE 0 END) / 60.0 AS zone2_minutes,
    SUM(CASE WHEN z.zone = 3 THEN z.seconds ELSE 0 END) / 60.0 AS zone3_minutes,
    SUM(CASE WHEN z.zone = 4 THEN z.seconds ELSE 0 END) / 60.0 AS zone4_minutes,
    SUM(CASE WHEN z.zone = 5 THEN z.seconds ELSE 0 END) / 60.0 AS zone5_minutes,
    SUM(z.seconds * z.zone) / 60.0 AS trimp,
    a.athlete_id
FROM {{ ref('activity_hr_zones') }} AS z
JOIN {{ ref('stg_activities') }} AS a ON a.id = z.activity_id
GROUP BY a.athlete_id, a.week_start
