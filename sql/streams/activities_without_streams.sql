-- The activities of the last four weeks up to the run date's end that have no stream yet, newest
-- first: what STREAMS_FROM_API asks Strava for (pipeline/tasks/streams.py). Those the budget
-- leaves out are asked for again by the next run. The athlete's only (:athlete_id; 0: every row,
-- an install of one athlete): each athlete's token reads its own streams.
SELECT p.id
FROM {production_table} AS p
WHERE p.start_date_local < :run_date_end
  AND p.start_date_local >= :streams_since
  AND (p.manual IS NULL OR p.manual = FALSE)
  AND (:athlete_id = 0 OR p.athlete_id = :athlete_id)
  AND NOT EXISTS (SELECT 1 FROM activity_streams AS s WHERE s.activity_id = p.id)
ORDER BY p.start_date_local DESC;
