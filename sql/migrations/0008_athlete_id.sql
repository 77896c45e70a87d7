-- 0008 (issue 26): many athletes on one application. Production and staging already carry
-- athlete_id (from each activity's athlete.id since migration 0001); the tables below get it
-- too, so every store can be read, scoped and forgotten per athlete. Existing rows get NULL:
-- the upgrade step of a single-athlete install (pipeline/athlete_upgrade.py,
-- sql/athletes/fill_athlete_id.sql) fills them with that athlete's id; nothing is lost.
-- One column per ALTER TABLE (Redshift); BIGINT on every dialect.
ALTER TABLE archive_activities ADD COLUMN athlete_id BIGINT;
ALTER TABLE activity_streams ADD COLUMN athlete_id BIGINT;
ALTER TABLE kudos_model_runs ADD COLUMN athlete_id BIGINT;
ALTER TABLE kudos_predictions ADD COLUMN athlete_id BIGINT;
ALTER TABLE kudos_feature_importance ADD COLUMN athlete_id BIGINT;
ALTER TABLE {validation_table} ADD COLUMN athlete_id BIGINT;
