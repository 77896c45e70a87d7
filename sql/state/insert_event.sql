-- One push event from Strava, stored before the receiver answers; the primary key (subscription,
-- object type, object id, aspect, event time) makes a retried event a duplicate.
INSERT INTO webhook_events (subscription_id, object_type, object_id, aspect_type, event_time,
                            owner_id, updates, received_at)
VALUES (:subscription_id, :object_type, :object_id, :aspect_type, :event_time, :owner_id,
        :updates, :received_at);
