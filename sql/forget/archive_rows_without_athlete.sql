-- strava-pipeline athletes remove ID --purge: the rows an archive import of before migration
-- 0009 stored without athlete_id, of one archive the forgotten athlete imported (its
-- ImportArchive marker, pipeline/forget_athlete.py), whose activity production no longer holds
-- (0009 gave the others their activity's athlete_id). Streams first, while archive_activities
-- still says which activities the archive brought.
DELETE FROM activity_streams
WHERE athlete_id IS NULL
  AND activity_id IN (SELECT id FROM archive_activities WHERE archive_id = :archive_id);
DELETE FROM archive_activities
WHERE athlete_id IS NULL AND archive_id = :archive_id;
