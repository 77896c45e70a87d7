-- The staged batch replaces every sample of its activities, in the batch's transaction: a rerun
-- of an import rewrites its own activities' samples and no others.
DELETE FROM activity_streams
WHERE activity_id IN (SELECT activity_id FROM {staging_table});

INSERT INTO activity_streams
SELECT * FROM {staging_table};

DROP TABLE {staging_table};
