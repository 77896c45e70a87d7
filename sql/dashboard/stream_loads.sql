-- Every activity's TRIMP (from its heart-rate stream) up to the end of the run date: the stream
-- panel's fitness and fatigue curve. Read-only.
SELECT l.start_date_local, t.trimp
FROM {{ ref('activity_training_load') }} AS t
JOIN {{ ref('activity_log') }} AS l ON l.id = t.activity_id
WHERE l.start_date_local < :day_after_run_date
  AND (:athlete_id = 0 OR l.athlete_id = :athlete_id)
ORDER BY l.start_date_local
