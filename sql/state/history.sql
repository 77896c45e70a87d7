-- Every recorded watermark, oldest run date first.
SELECT run_date, watermark, recorded_at FROM last_extracted ORDER BY run_date;
