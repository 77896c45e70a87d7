-- Per run (sport family 'run') with distance samples: the fastest time over 1 km, 5 km, 10 km,
-- the half and the full marathon inside it. For every sample, the first later sample at least
-- that far on gives the time; the best is the smallest. The later sample is looked for in the
-- 100 m buckets of distance where the target falls (and the next one), so the search stays
-- small: samples are never 100 m apart in a run (a device records every few seconds).
WITH targets AS (
    SELECT 1000.0 AS meters, '1 km' AS effort
    UNION ALL SELECT 5000.0, '5 km'
    UNION ALL SELECT 10000.0, '10 km'
    UNION ALL SELECT 21097.5, 'half marathon'
    UNION ALL SELECT 42195.0, 'marathon'
),
next_bucket AS (
    SELECT 0 AS k UNION ALL SELECT 1
),
runs AS (
    SELECT s.activity_id, a.athlete_id, s.elapsed_seconds, s.distance
    FROM {{ ref('stg_activity_samples') }} AS s
    JOIN {{ ref('stg_activities') }} AS a ON a.id = s.activity_id
    WHERE a.sport_family = 'run' AND s.distance IS NOT NULL
),
longest AS (
    SELECT activity_id, MAX(distance) AS total FROM runs GROUP BY activity_id
),
starts AS (
    SELECT r.activity_id, r.elapsed_seconds, r.distance, t.meters, t.effort,
           FLOOR((r.distance + t.meters) / 100) + b.k AS bucket
    FROM runs AS r
    JOIN longest AS l ON l.activity_id = r.activity_id
    CROSS JOIN targets AS t
    CROSS JOIN next_bucket AS b
    WHERE r.distance + t.meters <= l.total
),
ends AS (
    SELECT activity_id, elapsed_seconds, distance, FLOOR(distance / 100) AS bucket FROM runs
),
reached AS (
    SELECT s.activity_id, s.meters, s.effort, s.elapsed_seconds AS started,
           MIN(e.elapsed_seconds) AS arrived
    FROM starts AS s
    JOIN ends AS e
        ON e.activity_id = s.activity_id AND e.bucket = s.bucket
        AND e.distance >= s.distance + s.meters
    GROUP BY s.activity_id, s.meters, s.effort, s.elapsed_seconds
)
SELECT
    r.activity_id,
    r.effort,
    r.meters,
    MIN(r.arrived - r.started) AS best_seconds,
    a.athlete_id
FROM reached AS r
JOIN (SELECT DISTINCT activity_id, athlete_id FROM runs) AS a ON a.activity_id = r.activity_id
GROUP BY r.activity_id, a.athlete_id, r.effort, r.meters
