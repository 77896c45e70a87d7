-- Activities Strava lists that production does not hold yet.
SELECT COUNT(*) FROM {staging_table}
WHERE id NOT IN (SELECT id FROM {production_table});
