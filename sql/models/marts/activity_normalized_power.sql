-- Per ride (sport family 'ride') with power samples: its normalized power, the fourth root of
-- the mean of the fourth powers of the 30-second rolling average power. The rolling average at
-- a sample (from 30 s into the ride) is over the samples of the 30 seconds up to and including
-- it, each counting with the seconds it stands for; they are looked for in its own and the
-- previous 30-second time bucket.
WITH rides AS (
    SELECT s.activity_id, s.elapsed_seconds, s.power, s.seconds,
           FLOOR(s.elapsed_seconds / 30) AS bucket
    FROM {{ ref('stg_activity_samples') }} AS s
    JOIN {{ ref('stg_activities') }} AS a ON a.id = s.activity_id
    WHERE a.sport_family = 'ride' AND s.power IS NOT NULL
),
previous_bucket AS (
    SELECT 0 AS k UNION ALL SELECT 1
),
rolling AS (
    SELECT r.activity_id, r.elapsed_seconds,
           SUM(w.power * w.seconds) / NULLIF(SUM(w.seconds), 0) AS watts
    FROM rides AS r
    CROSS JOIN previous_bucket AS b
    JOIN rides AS w
        ON w.activity_id = r.activity_id AND w.bucket = r.bucket - b.k
        AND w.elapsed_seconds > r.elapsed_seconds - 30
        AND w.elapsed_seconds <= r.elapsed_seconds
    WHERE r.elapsed_seconds >= 30
    GROUP BY r.activity_id, r.elapsed_seconds
)
SELECT
    r.activity_id,
    POWER(AVG(POWER(r.watts, 4)), 0.25) AS normalized_watts,
    a.athlete_id
FROM rolling AS r
JOIN {{ ref('stg_activities') }} AS a ON a.id = r.activity_id
WHERE r.watts IS NOT NULL
GROUP BY r.activity_id, a.athlete_id
