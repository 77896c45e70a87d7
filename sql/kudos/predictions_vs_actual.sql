-- The newest run's predictions up to a run date, next to each activity's actual kudos.
SELECT p.activity_id, a.start_date_local, a.sport_type, p.model_version, p.predicted_kudos,
       a.kudos_count AS actual_kudos
FROM kudos_predictions AS p
JOIN {production_table} AS a ON a.id = p.activity_id
WHERE p.run_date = (SELECT MAX(run_date) FROM kudos_predictions WHERE run_date <= :run_date)
ORDER BY a.start_date_local, p.activity_id;
