-- The athlete who took over a single-athlete install's rows (none when there was no upgrade).
SELECT athlete_id, through_run_date FROM athlete_upgrades ORDER BY upgraded_at LIMIT 1;
