-- The upgrade of a single-athlete install: the warehouse rows written before migration 0008
-- (athlete_id NULL) become the athlete's; one transaction. Production's rows carry the id from
-- each activity's JSON already; an archive import's rows may not.
UPDATE {production_table} SET athlete_id = :athlete_id WHERE athlete_id IS NULL;
UPDATE archive_activities SET athlete_id = :athlete_id WHERE athlete_id IS NULL;
UPDATE activity_streams SET athlete_id = :athlete_id WHERE athlete_id IS NULL;
UPDATE kudos_model_runs SET athlete_id = :athlete_id WHERE athlete_id IS NULL;
UPDATE kudos_predictions SET athlete_id = :athlete_id WHERE athlete_id IS NULL;
UPDATE kudos_feature_importance SET athlete_id = :athlete_id WHERE athlete_id IS NULL;
UPDATE {validation_table} SET athlete_id = :athlete_id WHERE athlete_id IS NULL;
