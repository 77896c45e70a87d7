-- Remove one activity Strava no longer lists (a reconciliation) or deleted (a webhook event):
-- its row (in the lake's strava/deleted/ first) and its samples (their Parquet parts stay in the
-- lake's strava/streams/), so that nothing of it stays in the warehouse.
DELETE FROM activity_streams WHERE activity_id = :id;
DELETE FROM {production_table} WHERE id = :id;
