-- An event applied (or found to need nothing), with what it did.
UPDATE webhook_events SET applied_at = :applied_at, outcome = :outcome
WHERE subscription_id = :subscription_id AND object_type = :object_type
  AND object_id = :object_id AND aspect_type = :aspect_type AND event_time = :event_time;
