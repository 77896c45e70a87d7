-- Per ride (sport family 'ride') with power samples: the best average power over 5 and over 20
-- minutes inside it. Every window starts at a sample and lasts exactly that long (so it ends
-- inside the ride); a sample counts with the seconds it stands for (stg_activity_samples). A
-- window's samples are looked for in its own and the next time bucket of the window's length.
WITH windows AS (
    SELECT 300.0 AS window_seconds, '5 min' AS effort
    UNION ALL SELECT 1200.0, '20 min'
),
next_bucket AS (
    SELECT 0 AS k UNION ALL SELECT 1
),
rides AS (
    SELECT s.activity_id, a.athlete_id, s.elapsed_seconds, s.power, s.seconds
    FROM {{ ref('stg_activity_samples') }} AS s
    JOIN {{ ref('stg_activities') }} AS a ON a.id = s.activity_id
    WHERE a.sport_family = 'ride' AND s.power IS NOT NULL
),
longest AS (
    SELECT activity_id, MAX(elapsed_seconds) AS total FROM rides GROUP BY activity_id
),
starts AS (
    SELECT r.activity_id, r.elapsed_seconds AS started, w.window_seconds, w.effort,
           FLOOR(r.elapsed_seconds / w.window_seconds) + b.k AS bucket
    FROM rides AS r
    JOIN longest AS l ON l.activity_id = r.activity_id
    CROSS JOIN windows AS w
    CROSS JOIN next_bucket AS b
    WHERE r.elapsed_seconds + w.window_seconds <= l.total
),
samples AS (
    SELECT r.activity_id, r.elapsed_seconds, r.power, r.seconds, w.window_seconds,
           FLOOR(r.elapsed_seconds / w.window_seconds) AS bucket
    FROM rides AS r
    CROSS JOIN windows AS w
),
averaged AS (
    SELECT s.activity_id, s.effort, s.window_seconds, s.started,
           SUM(e.power * e.seconds) AS joules, SUM(e.seconds) AS seconds
    FROM starts AS s
    JOIN samples AS e
        ON e.activity_id = s.activity_id AND e.window_seconds = s.window_seconds
        AND e.bucket = s.bucket
        AND e.elapsed_seconds >= s.started AND e.elapsed_seconds < s.started + s.window_seconds
    GROUP BY s.activity_id, s.effort, s.window_seconds, s.started
)
SELECT
    v.activity_id,
    v.effort,
    v.window_seconds,
    MAX(v.joules / v.seconds) AS best_watts,
    a.athlete_id
FROM averaged AS v
JOIN (SELECT DISTINCT activity_id, athlete_id FROM rides) AS a ON a.activity_id = v.activity_id
WHERE v.seconds > 0
GROUP BY v.activity_id, a.athlete_id, v.effort, v.window_seconds
