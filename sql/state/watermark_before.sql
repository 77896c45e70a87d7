-- The athlete's newest watermark recorded for a date strictly before the run date.
SELECT watermark FROM last_extracted WHERE run_date < :run_date AND athlete_id = :athlete_id
ORDER BY run_date DESC LIMIT 1;
