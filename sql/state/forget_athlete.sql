-- strava-pipeline athletes remove ID --purge (issue 26): one athlete's watermarks,
-- reconciliations and webhook events (owner_id is the athlete), in one transaction.
DELETE FROM last_extracted WHERE athlete_id = :athlete_id;
DELETE FROM reconciliations WHERE athlete_id = :athlete_id;
DELETE FROM webhook_events WHERE owner_id = :athlete_id;
