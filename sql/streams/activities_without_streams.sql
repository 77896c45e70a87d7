-- The activities of the last four weeks up to the run date's end that have no stream yet, newest
-- first: what STREAMS_FROM_API asks Strava for (pipeline/tasks/streams.py). Those the budget
-- leaves out are asked for again by the next run.
SELECT p.id
FROM {production_table} AS p
WHERE p.start_date_local < :run_date_end
  AND p.start_date_local >= :streams_since
  AND (p.manual IS NULL OR p.manual = FALSE)
  AND NOT EXISTS (SELECT 1 FROM activity_streams AS s WHERE s.activity_id = p.id)
ORDER BY p.start_date_local DESC;
