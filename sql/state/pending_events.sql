-- Events not applied yet, in the order they happened on Strava.
SELECT subscription_id, object_type, object_id, aspect_type, event_time, owner_id, updates
FROM webhook_events
WHERE applied_at IS NULL
ORDER BY event_time, object_id, aspect_type;
