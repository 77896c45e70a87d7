-- Production rows the kudos model learns from, up to the run's end in the athlete's local time.
-- One athlete's (issue 26: :athlete_id; 0 on an install of one athlete: every row).
SELECT id, athlete_id, distance, moving_time, total_elevation_gain, sport_type, workout_type,
       start_date, start_date_local, achievement_count, kudos_count, athlete_count, pr_count,
       trainer, commute, visibility, private, name, total_photo_count
FROM {production_table}
WHERE start_date_local < :local_end
  AND (:athlete_id = 0 OR athlete_id = :athlete_id)
ORDER BY start_date, id;
