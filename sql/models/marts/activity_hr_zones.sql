-- Per activity with heart-rate samples: the seconds spent in each heart-rate zone
-- (stg_hr_zones), each sample counting for the seconds until the next (stg_activity_samples).
SELECT
    s.activity_id,
    z.zone,
    SUM(s.seconds) AS seconds,
    s.athlete_id
FROM {{ ref('stg_activity_samples') }} AS s
JOIN {{ ref('stg_hr_zones') }} AS z
    ON s.athlete_id = z.athlete_id AND s.heart_rate >= z.low_bpm AND s.heart_rate < z.high_bpm
GROUP BY s.activity_id, z.zone, s.athlete_id
