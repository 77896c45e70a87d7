-- How fresh the dashboard's data is: when production last took in data from Strava (the newest
-- marker of a stage that writes it: a weekly load, a reconciliation, a webhook batch).
SELECT MAX(inserted) FROM {marker_table}
WHERE target_table = 'strava_activity_data';
