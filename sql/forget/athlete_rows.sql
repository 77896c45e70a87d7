-- strava-pipeline athletes remove ID --purge (issue 26): one athlete's rows of the tables
-- migrations create, in one transaction (pipeline/forget_athlete.py); the rows keyed by an
-- activity go first, while production still tells whose activity it is. Every other athlete's
-- rows stay.
DELETE FROM activity_streams
WHERE athlete_id = :athlete_id
   OR activity_id IN (SELECT id FROM {production_table} WHERE athlete_id = :athlete_id);
DELETE FROM archive_activities
WHERE athlete_id = :athlete_id
   OR id IN (SELECT id FROM {production_table} WHERE athlete_id = :athlete_id);
DELETE FROM kudos_predictions
WHERE athlete_id = :athlete_id
   OR activity_id IN (SELECT id FROM {production_table} WHERE athlete_id = :athlete_id);
DELETE FROM kudos_model_runs WHERE athlete_id = :athlete_id;
DELETE FROM kudos_feature_importance WHERE athlete_id = :athlete_id;
DELETE FROM {validation_table} WHERE athlete_id = :athlete_id;
DELETE FROM {production_table} WHERE athlete_id = :athlete_id;
