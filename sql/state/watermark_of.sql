-- The watermark recorded for exactly one run date of an athlete (no row: none was recorded).
SELECT watermark FROM last_extracted WHERE run_date = :run_date AND athlete_id = :athlete_id;
