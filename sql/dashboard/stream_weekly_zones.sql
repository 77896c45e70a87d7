-- Minutes in each heart-rate zone and TRIMP per week up to the run date: the stream panel's
-- weekly time in zones. Read-only.
SELECT week_start, zone1_minutes, zone2_minutes, zone3_minutes, zone4_minutes, zone5_minutes,
       trimp
FROM {{ ref('weekly_training_load') }}
WHERE week_start < :day_after_run_date
  AND (:athlete_id = 0 OR athlete_id = :athlete_id)
ORDER BY week_start
