-- A batch of samples is staged in a table with activity_streams' columns before it replaces
-- those activities' samples (pipeline/streams/store.py).
DROP TABLE IF EXISTS staging_activity_streams;
CREATE TABLE staging_activity_streams AS
SELECT * FROM activity_streams WHERE 1 = 0;
