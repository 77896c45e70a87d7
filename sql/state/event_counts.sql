-- Webhook events pending and applied, and when the newest was received.
SELECT SUM(CASE WHEN applied_at IS NULL THEN 1 ELSE 0 END),
       SUM(CASE WHEN applied_at IS NULL THEN 0 ELSE 1 END),
       MAX(received_at)
FROM webhook_events;
