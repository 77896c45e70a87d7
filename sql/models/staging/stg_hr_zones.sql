-- The athlete's five heart-rate zones, from their maximum heart rate: the highest heart rate of
-- any stream sample (between 100 and 230 bpm, so a sensor glitch does not count).
-- Zone 1 below 60 % of it, zone 2 60-70 %, zone 3 70-80 %, zone 4 80-90 %, zone 5 from 90 %
-- (a zone holds its lower bound, not its upper one). Edit the shares here to use other zones.
-- Each athlete's own (issue 26): one set of zones per athlete_id.
WITH top AS (
    SELECT athlete_id, MAX(heart_rate) AS max_hr
    FROM {{ ref('stg_activity_samples') }}
    WHERE heart_rate BETWEEN 100 AND 230
    GROUP BY athlete_id
),
shares AS (
    SELECT 1 AS zone, 0.0 AS low_share, 0.6 AS high_share
    UNION ALL SELECT 2, 0.6, 0.7
    UNION ALL SELECT 3, 0.7, 0.8
    UNION ALL SELECT 4, 0.8, 0.9
    UNION ALL SELECT 5, 0.9, 10.0
)
SELECT
    s.zone,
    t.max_hr,
    s.low_share * t.max_hr AS low_bpm,
    s.high_share * t.max_hr AS high_bpm,
    t.athlete_id
FROM shares AS s
CROSS JOIN top AS t
WHERE t.max_hr IS NOT NULL
