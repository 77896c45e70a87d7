-- The newest routes up to the end of the run date, newest first, for the route map and heatmap
-- (capped by :max_routes so the page and the memory stay bounded as history grows). Read-only.
SELECT
    id,
    start_date_local,
    timezone,
    location_country,
    summary_polyline
FROM {{ ref('activity_routes') }}
WHERE start_date_local < :day_after_run_date
  AND (:athlete_id = 0 OR athlete_id = :athlete_id)
ORDER BY start_date_local DESC, id DESC
LIMIT :max_routes
