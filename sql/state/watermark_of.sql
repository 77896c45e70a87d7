-- The watermark recorded for exactly one run date (no row: none was recorded).
SELECT watermark FROM last_extracted WHERE run_date = :run_date;
