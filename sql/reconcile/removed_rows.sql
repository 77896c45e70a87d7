-- Production's rows in the reconciliation's scope that Strava no longer lists (not in the
-- reconciliation's staging table), oldest id first. The task leaves out the ids the extract
-- set aside as unparseable (Strava still lists those). Only the athlete's rows (:athlete_id; 0: an
-- install of one athlete, every row): a reconciliation never removes another athlete's.
SELECT * FROM {production_table}
WHERE (start_date_local < :run_week_end OR start_date_local IS NULL)
  AND id NOT IN (SELECT id FROM {staging_table})
  AND (:athlete_id = 0 OR athlete_id = :athlete_id)
ORDER BY id;
