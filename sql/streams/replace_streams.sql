-- The staged batch replaces every sample of its activities, in the batch's transaction: a rerun
-- of an import rewrites its own activities' samples and no others. (The staging table exists:
-- create_stream_staging.sql made it in this transaction; IF NOT EXISTS lets the file run alone.)
-- Each sample carries its activity's athlete_id, from production (issue 26), else the athlete
-- whose samples these are (the writer's, NULL for an install of one athlete): an archive import
-- stores its streams before its activities reach production.
CREATE TABLE IF NOT EXISTS staging_activity_streams AS
SELECT activity_id, elapsed_seconds, lat, lng, distance, altitude, heart_rate, cadence, power,
       temperature, moving
FROM activity_streams WHERE 1 = 0;

DELETE FROM activity_streams
WHERE activity_id IN (SELECT activity_id FROM staging_activity_streams);

INSERT INTO activity_streams (activity_id, elapsed_seconds, lat, lng, distance, altitude,
                              heart_rate, cadence, power, temperature, moving, athlete_id)
SELECT s.activity_id, s.elapsed_seconds, s.lat, s.lng, s.distance, s.altitude, s.heart_rate,
       s.cadence, s.power, s.temperature, s.moving,
       COALESCE(p.athlete_id, :athlete_id)
FROM staging_activity_streams AS s
LEFT JOIN {production_table} AS p ON p.id = s.activity_id;

DROP TABLE staging_activity_streams;
