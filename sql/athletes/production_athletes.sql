-- The athletes production holds activities of (an upgraded single-athlete install: one).
SELECT DISTINCT athlete_id FROM {production_table} WHERE athlete_id IS NOT NULL ORDER BY athlete_id;
