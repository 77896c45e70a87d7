-- 0004 (issue 20): the webhook events whose effect is in production, written in the same
-- transaction as that effect (ApplyEvents), so an event is applied exactly once even when the
-- process dies before the state store hears of it.
CREATE TABLE IF NOT EXISTS webhook_events_applied (
    event_key VARCHAR(200) NOT NULL,
    batch VARCHAR(32) NOT NULL,
    outcome VARCHAR(200),
    applied_at TIMESTAMP NOT NULL
);
