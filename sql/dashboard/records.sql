-- Personal bests from the summary data up to the end of the run date, one row per record that
-- has an activity: the longest run and ride, the biggest climb, the fastest average run pace
-- (seconds per metre) over runs at least :pace_5k, :pace_10k, :pace_half and :pace_marathon
-- metres long. Ties go to the earlier activity (start, then id). Each record is the first row
-- of its own ordered branch (a top-1 the engine finds in one pass), not a window over every
-- candidate (issue 23: 0.26 s of DuckDB on 100,000 activities). Read-only.
WITH activities AS (
    SELECT id, name, sport_family, start_date_local, distance_m, moving_time_s, elevation_gain_m
    FROM {{ ref('activity_log') }}
    WHERE start_date_local < :day_after_run_date
  AND (:athlete_id = 0 OR athlete_id = :athlete_id)
),
best AS (
    SELECT * FROM (
        SELECT 'longest_run' AS record_key, distance_m AS value, a.*
        FROM activities a WHERE sport_family = 'run' AND distance_m > 0
        ORDER BY value DESC, start_date_local, id LIMIT 1
    ) AS best_0
    UNION ALL
    SELECT * FROM (
        SELECT 'longest_ride' AS record_key, distance_m AS value, a.*
        FROM activities a WHERE sport_family = 'ride' AND distance_m > 0
        ORDER BY value DESC, start_date_local, id LIMIT 1
    ) AS best_1
    UNION ALL
    SELECT * FROM (
        SELECT 'biggest_climb' AS record_key, elevation_gain_m AS value, a.*
        FROM activities a WHERE elevation_gain_m > 0
        ORDER BY value DESC, start_date_local, id LIMIT 1
    ) AS best_2
    UNION ALL
    SELECT * FROM (
        SELECT 'pace_5k' AS record_key,
               -(CAST(moving_time_s AS DOUBLE PRECISION) / distance_m) AS value,
               a.*
        FROM activities a
        WHERE sport_family = 'run' AND distance_m >= :pace_5k AND moving_time_s > 0
        ORDER BY value DESC, start_date_local, id LIMIT 1
    ) AS best_3
    UNION ALL
    SELECT * FROM (
        SELECT 'pace_10k' AS record_key,
               -(CAST(moving_time_s AS DOUBLE PRECISION) / distance_m) AS value,
               a.*
        FROM activities a
        WHERE sport_family = 'run' AND distance_m >= :pace_10k AND moving_time_s > 0
        ORDER BY value DESC, start_date_local, id LIMIT 1
    ) AS best_4
    UNION ALL
    SELECT * FROM (
        SELECT 'pace_half' AS record_key,
               -(CAST(moving_time_s AS DOUBLE PRECISION) / distance_m) AS value,
               a.*
        FROM activities a
        WHERE sport_family = 'run' AND distance_m >= :pace_half AND moving_time_s > 0
        ORDER BY value DESC, start_date_local, id LIMIT 1
    ) AS best_5
    UNION ALL
    SELECT * FROM (
        SELECT 'pace_marathon' AS record_key,
               -(CAST(moving_time_s AS DOUBLE PRECISION) / distance_m) AS value,
               a.*
        FROM activities a
        WHERE sport_family = 'run' AND distance_m >= :pace_marathon AND moving_time_s > 0
        ORDER BY value DESC, start_date_local, id LIMIT 1
    ) AS best_6
)
SELECT record_key, ABS(value) AS value, id, name, start_date_local, distance_m, moving_time_s
FROM best
