-- 0002: text columns hold what Strava allows. PostgreSQL's TEXT has no length limit (a name of
-- 100,000 characters round-trips); staging copies production's types, so it widens too.
ALTER TABLE {production_table}
    ALTER COLUMN name TYPE TEXT,
    ALTER COLUMN type TYPE TEXT,
    ALTER COLUMN sport_type TYPE TEXT,
    ALTER COLUMN timezone TYPE TEXT,
    ALTER COLUMN location_country TYPE TEXT,
    ALTER COLUMN summary_polyline TYPE TEXT,
    ALTER COLUMN visibility TYPE TEXT,
    ALTER COLUMN gear_id TYPE TEXT;
