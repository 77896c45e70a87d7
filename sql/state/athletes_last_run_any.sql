-- athletes list, one athlete and no athlete_id in the state store yet: the newest run date.
SELECT NULL, MAX(run_date), MAX(recorded_at)
FROM last_extracted;
