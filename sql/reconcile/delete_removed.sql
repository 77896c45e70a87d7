-- Remove one activity Strava no longer lists (its row is in the lake's strava/deleted/ first).
DELETE FROM {production_table} WHERE id = :id;
