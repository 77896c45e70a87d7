-- Store (or replace) the watermark of an athlete's run date, in one transaction (both dialects).
DELETE FROM last_extracted WHERE run_date = :run_date AND athlete_id = :athlete_id;
INSERT INTO last_extracted (athlete_id, run_date, watermark, recorded_at)
VALUES (:athlete_id, :run_date, :watermark, :recorded_at);
