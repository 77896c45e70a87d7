-- Store (or replace) the watermark of a run date, in one transaction (both dialects).
DELETE FROM last_extracted WHERE run_date = :run_date;
INSERT INTO last_extracted (run_date, watermark, recorded_at)
VALUES (:run_date, :watermark, :recorded_at);
