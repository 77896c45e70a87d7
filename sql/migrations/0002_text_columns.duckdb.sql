-- 0002: text columns hold what Strava allows. DuckDB ignores VARCHAR lengths (every VARCHAR is
-- unbounded), so there is nothing to change; the migration is recorded like on the others.
SELECT 1;
