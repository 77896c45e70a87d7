-- The staged batch replaces every sample of its activities, in the batch's transaction: a rerun
-- of an import rewrites its own activities' samples and no others. (The staging table exists:
-- create_stream_staging.sql made it in this transaction; IF NOT EXISTS lets the file run alone.)
CREATE TABLE IF NOT EXISTS staging_activity_streams AS
SELECT * FROM activity_streams WHERE 1 = 0;

DELETE FROM activity_streams
WHERE activity_id IN (SELECT activity_id FROM staging_activity_streams);

INSERT INTO activity_streams
SELECT * FROM staging_activity_streams;

DROP TABLE staging_activity_streams;
