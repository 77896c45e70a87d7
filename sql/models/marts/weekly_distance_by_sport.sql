-- Distance, time, climbing and kudos per local Monday week and sport, for every week of the
-- spine and every sport the athlete has done (zeros in weeks without that sport).
WITH sports AS (
    SELECT DISTINCT athlete_id, sport_type
    FROM {{ ref('stg_activities') }} WHERE sport_type IS NOT NULL
),
athletes AS (
    SELECT athlete_id, MIN(week_start) AS first_week FROM {{ ref('stg_activities') }}
    GROUP BY athlete_id
),
weekly AS (
    SELECT
        athlete_id,
        week_start,
        sport_type,
        COUNT(*) AS activity_count,
        SUM(distance_km) AS distance_km,
        SUM(moving_hours) AS moving_hours,
        SUM(total_elevation_gain) AS elevation_m,
        SUM(kudos_count) AS kudos
    FROM {{ ref('stg_activities') }}
    GROUP BY athlete_id, week_start, sport_type
)
SELECT
    w.week_start,
    s.sport_type,
    CAST(COALESCE(k.activity_count, 0) AS BIGINT) AS activity_count,
    ROUND(CAST(COALESCE(k.distance_km, 0) AS NUMERIC(18, 6)), 2) AS distance_km,
    ROUND(CAST(COALESCE(k.moving_hours, 0) AS NUMERIC(18, 6)), 2) AS moving_hours,
    ROUND(CAST(COALESCE(k.elevation_m, 0) AS NUMERIC(18, 6)), 1) AS elevation_gain_m,
    CAST(COALESCE(k.kudos, 0) AS BIGINT) AS total_kudos,
    s.athlete_id
FROM {{ ref('stg_weeks') }} AS w
CROSS JOIN sports AS s
JOIN athletes AS t ON t.athlete_id = s.athlete_id AND w.week_start >= t.first_week
LEFT JOIN weekly AS k ON k.week_start = w.week_start AND k.sport_type = s.sport_type
    AND k.athlete_id = s.athlete_id
