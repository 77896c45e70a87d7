-- The newest run's predictions up to a run date, next to each activity's actual kudos.
-- One athlete's (issue 26: :athlete_id; 0 on an install of one athlete: every row).
SELECT p.activity_id, a.start_date_local, a.sport_type, p.model_version, p.predicted_kudos,
       a.kudos_count AS actual_kudos
FROM kudos_predictions AS p
JOIN {production_table} AS a ON a.id = p.activity_id
WHERE p.run_date = (SELECT MAX(run_date) FROM kudos_predictions WHERE run_date <= :run_date
                    AND (:athlete_id = 0 OR athlete_id = :athlete_id))
  AND (:athlete_id = 0 OR a.athlete_id = :athlete_id)
ORDER BY a.start_date_local, p.activity_id;
