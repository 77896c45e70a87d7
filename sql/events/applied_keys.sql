-- The webhook events whose effect is already in production.
SELECT event_key FROM webhook_events_applied;
