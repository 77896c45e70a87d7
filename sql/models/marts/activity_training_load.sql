-- Per activity with heart-rate samples: its training load as Edwards' TRIMP, the minutes in
-- each heart-rate zone weighted by the zone's number (1 to 5) and summed; with its local week.
SELECT
    a.id AS activity_id,
    a.week_start,
    a.sport_type,
    a.sport_family,
    SUM(z.seconds) / 60.0 AS hr_minutes,
    SUM(z.seconds * z.zone) / 60.0 AS trimp,
    a.athlete_id
FROM {{ ref('activity_hr_zones') }} AS z
JOIN {{ ref('stg_activities') }} AS a ON a.id = z.activity_id
GROUP BY a.id, a.athlete_id, a.week_start, a.sport_type, a.sport_family
