-- The newest archive imports (pipeline/archive/importer.py's validation_results rows), for
-- `strava-pipeline status`: when, pass or warn, how many problems, and what they were.
SELECT checked_at, status, left_value, message
FROM {validation_table}
WHERE check_name = 'archive_import'
ORDER BY checked_at DESC
LIMIT 5;
