-- Every table and view of the warehouse's own schema, with its type ('BASE TABLE' or 'VIEW'):
-- what strava-pipeline forget chooses from (pipeline/forget.py).
SELECT table_name, table_type
FROM information_schema.tables
WHERE table_schema = current_schema()
ORDER BY table_name;
