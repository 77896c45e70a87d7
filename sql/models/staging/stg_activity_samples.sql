-- One row per stream sample (activity_streams, migration 0005) with the seconds it stands for:
-- until the next sample, at most 30 (a longer gap is a pause, not effort); the last sample of
-- an activity stands for none. The stream marts read samples only through this model.
SELECT
    s.activity_id,
    s.elapsed_seconds,
    s.distance,
    s.heart_rate,
    s.power,
    s.moving,
    LEAST(COALESCE(LEAD(s.elapsed_seconds) OVER (
        PARTITION BY s.activity_id ORDER BY s.elapsed_seconds) - s.elapsed_seconds, 0), 30)
        AS seconds,
    COALESCE(s.athlete_id, 0) AS athlete_id
FROM activity_streams AS s
