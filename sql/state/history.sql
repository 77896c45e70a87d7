-- Every recorded watermark, oldest run date first: one athlete's, or every athlete's when
-- :athlete_id is NULL.
SELECT run_date, watermark, recorded_at FROM last_extracted
WHERE :athlete_id IS NULL OR athlete_id = :athlete_id
ORDER BY run_date;
