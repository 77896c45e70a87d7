-- 0006 on Redshift: fields of Strava's activities the pipeline used to drop (issue 22), appended to
-- production in this order (pipeline/strava/activities.py ACTIVITY_COLUMNS follows it; staging
-- copies production's columns). Existing rows get NULL: `strava-pipeline rebuild-from-lake`
-- fills them from the raw JSON kept in the lake, without asking Strava (docs/how-it-works.md).
--   total_photo_count       every photo of the activity (photo_count counts Instagram's only)
--   device_watts            true: power measured by a device; false: Strava's estimate
--   has_heartrate           the activity has heart rate data
--   max_watts, weighted_average_watts   power, with device_watts telling how it was obtained
--   external_id, upload_id  the uploaded file's name and the upload's id
--   location_city, location_state       filled in older answers, NULL in recent ones
-- Redshift: text as VARCHAR(65535), as migration 0002 made the other text columns; one column
-- per ALTER TABLE.
ALTER TABLE {production_table} ADD COLUMN total_photo_count BIGINT;
ALTER TABLE {production_table} ADD COLUMN device_watts BOOLEAN;
ALTER TABLE {production_table} ADD COLUMN has_heartrate BOOLEAN;
ALTER TABLE {production_table} ADD COLUMN max_watts DOUBLE PRECISION;
ALTER TABLE {production_table} ADD COLUMN weighted_average_watts DOUBLE PRECISION;
ALTER TABLE {production_table} ADD COLUMN external_id VARCHAR(65535);
ALTER TABLE {production_table} ADD COLUMN upload_id BIGINT;
ALTER TABLE {production_table} ADD COLUMN location_city VARCHAR(65535);
ALTER TABLE {production_table} ADD COLUMN location_state VARCHAR(65535);
