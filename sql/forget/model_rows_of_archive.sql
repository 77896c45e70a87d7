-- strava-pipeline athletes remove ID --purge: a model table's rows made from the samples an
-- archive import of before migration 0009 stored without athlete_id (the models gave them
-- athlete 0), of one archive the forgotten athlete imported (archive_rows_without_athlete.sql
-- deletes those samples next).
DELETE FROM {model_table}
WHERE activity_id IN (
    SELECT activity_id FROM activity_streams
    WHERE athlete_id IS NULL
      AND activity_id IN (SELECT id FROM archive_activities WHERE archive_id = :archive_id)
);
