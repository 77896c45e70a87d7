-- A batch of samples is staged in a table with activity_streams' columns (but athlete_id, which
-- the replace takes from production or the writer, issue 26) before it replaces those
-- activities' samples (pipeline/streams/store.py).
DROP TABLE IF EXISTS staging_activity_streams;
CREATE TABLE staging_activity_streams AS
SELECT activity_id, elapsed_seconds, lat, lng, distance, altitude, heart_rate, cadence, power,
       temperature, moving
FROM activity_streams WHERE 1 = 0;
