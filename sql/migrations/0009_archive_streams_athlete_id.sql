-- 0009 (issue 26): an archive import stored the streams of the activities only its archive had,
-- and their archive_activities rows, without athlete_id (the streams were stored before the
-- activities reached production, whose athlete_id they took). Such rows get their activity's
-- athlete_id from production. A row whose activity production no longer holds stays NULL:
-- strava-pipeline athletes remove --purge finds it through its archive's marker
-- (pipeline/forget_athlete.py), forget removes it with everything else.
UPDATE activity_streams SET athlete_id = p.athlete_id
FROM {production_table} AS p
WHERE p.id = activity_streams.activity_id
  AND activity_streams.athlete_id IS NULL
  AND p.athlete_id IS NOT NULL;
UPDATE archive_activities SET athlete_id = p.athlete_id
FROM {production_table} AS p
WHERE p.id = archive_activities.id
  AND archive_activities.athlete_id IS NULL
  AND p.athlete_id IS NOT NULL;
