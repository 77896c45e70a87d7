-- athletes list: each athlete's newest extracted run date and when it was recorded (state store;
-- needs athlete_id on last_extracted, state migration 0004 of issue 26).
SELECT athlete_id, MAX(run_date), MAX(recorded_at)
FROM last_extracted
GROUP BY athlete_id;
