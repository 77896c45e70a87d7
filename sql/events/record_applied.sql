-- One event applied, in the transaction of its effect.
INSERT INTO webhook_events_applied (event_key, batch, outcome, applied_at)
VALUES (:event_key, :batch, :outcome, :applied_at);
