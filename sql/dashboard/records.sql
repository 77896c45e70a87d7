-- Personal bests from the summary data up to the end of the run date, one row per record that
-- has an activity: the longest run and ride, the biggest climb, the fastest average run pace
-- (seconds per metre) over runs at least :pace_5k, :pace_10k, :pace_half and :pace_marathon
-- metres long. Ties go to the earlier activity (start, then id). Read-only.
WITH activities AS (
    SELECT id, name, sport_family, start_date_local, distance_m, moving_time_s, elevation_gain_m
    FROM {{ ref('activity_log') }}
    WHERE start_date_local < :day_after_run_date
  AND (:athlete_id = 0 OR athlete_id = :athlete_id)
),
candidates AS (
    SELECT 'longest_run' AS record_key, distance_m AS value, a.*
    FROM activities a WHERE sport_family = 'run' AND distance_m > 0
    UNION ALL
    SELECT 'longest_ride', distance_m, a.*
    FROM activities a WHERE sport_family = 'ride' AND distance_m > 0
    UNION ALL
    SELECT 'biggest_climb', elevation_gain_m, a.*
    FROM activities a WHERE elevation_gain_m > 0
    UNION ALL
    SELECT 'pace_5k', -(CAST(moving_time_s AS DOUBLE PRECISION) / distance_m), a.*
    FROM activities a
    WHERE sport_family = 'run' AND distance_m >= :pace_5k AND moving_time_s > 0
    UNION ALL
    SELECT 'pace_10k', -(CAST(moving_time_s AS DOUBLE PRECISION) / distance_m), a.*
    FROM activities a
    WHERE sport_family = 'run' AND distance_m >= :pace_10k AND moving_time_s > 0
    UNION ALL
    SELECT 'pace_half', -(CAST(moving_time_s AS DOUBLE PRECISION) / distance_m), a.*
    FROM activities a
    WHERE sport_family = 'run' AND distance_m >= :pace_half AND moving_time_s > 0
    UNION ALL
    SELECT 'pace_marathon', -(CAST(moving_time_s AS DOUBLE PRECISION) / distance_m), a.*
    FROM activities a
    WHERE sport_family = 'run' AND distance_m >= :pace_marathon AND moving_time_s > 0
),
ranked AS (
    SELECT c.*, ROW_NUMBER() OVER (PARTITION BY record_key
                                   ORDER BY value DESC, start_date_local, id) AS place
    FROM candidates c
)
SELECT record_key, ABS(value) AS value, id, name, start_date_local, distance_m, moving_time_s
FROM ranked
WHERE place = 1
