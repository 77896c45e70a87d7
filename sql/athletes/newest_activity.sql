-- athletes list: each athlete's newest activity in production (warehouse).
SELECT athlete_id, MAX(start_date)
FROM {production_table}
GROUP BY athlete_id;
