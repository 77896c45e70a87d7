-- Production rows the champion needs to score a run that does not train (issue 23): those
-- starting (local time) in [:local_start, :local_end), and each athlete's last activity before
-- :local_start (so the days since the previous activity stay exact). :local_start is 13 weeks
-- before the test weeks: the trailing 12-week kudos levels of every scored week are complete.
-- One athlete's (issue 26: :athlete_id; 0 on an install of one athlete: every row).
SELECT id, athlete_id, distance, moving_time, total_elevation_gain, sport_type, workout_type,
       start_date, start_date_local, achievement_count, kudos_count, athlete_count, pr_count,
       trainer, commute, visibility, private, name, total_photo_count
FROM {production_table}
WHERE start_date_local >= :local_start AND start_date_local < :local_end
  AND (:athlete_id = 0 OR athlete_id = :athlete_id)
UNION ALL
SELECT id, athlete_id, distance, moving_time, total_elevation_gain, sport_type, workout_type,
       start_date, start_date_local, achievement_count, kudos_count, athlete_count, pr_count,
       trainer, commute, visibility, private, name, total_photo_count
FROM (
    SELECT id, athlete_id, distance, moving_time, total_elevation_gain, sport_type,
           workout_type, start_date, start_date_local, achievement_count, kudos_count,
           athlete_count, pr_count, trainer, commute, visibility, private, name,
           total_photo_count,
           ROW_NUMBER() OVER (PARTITION BY athlete_id ORDER BY start_date DESC, id DESC)
               AS previous_rank
    FROM {production_table}
    WHERE start_date_local < :local_start
      AND (:athlete_id = 0 OR athlete_id = :athlete_id)
) earlier
WHERE previous_rank = 1
ORDER BY start_date, id;
