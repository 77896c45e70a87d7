-- Activities with a GPS route: the encoded summary polyline the dashboard's map decodes.
-- Only what the dashboard can read (issue 23: the whole history's polylines made this build the
-- weekly run's memory peak): it reads, up to the end of its run date, an athlete's newest
-- 20,000 routes at most (MAX_ROUTES, pipeline/dashboard/routes.py; sql/dashboard/routes.sql,
-- newest first, ties to the higher id). So of the routes up to the end of the run date
-- (:run_week_end) each athlete's newest 20,000 are kept, and every route after it, so that the
-- run date's dashboard reads exactly what it read from the whole history. Raise the number
-- with MAX_ROUTES.
SELECT
    id,
    name,
    sport_type,
    start_date_local,
    week_start,
    timezone,
    location_country,
    kudos_count,
    ROUND(CAST(distance_km AS NUMERIC(18, 6)), 2) AS distance_km,
    summary_polyline,
    athlete_id
FROM {{ ref('stg_activities') }}
WHERE summary_polyline IS NOT NULL AND summary_polyline <> ''
    AND (start_date_local IS NULL OR start_date_local >= :run_week_end OR id IN (
        SELECT id FROM (
            SELECT id, ROW_NUMBER() OVER (PARTITION BY athlete_id
                                          ORDER BY start_date_local DESC, id DESC) AS newest
            FROM {{ ref('stg_activities') }}
            WHERE summary_polyline <> '' AND start_date_local < :run_week_end
        ) AS ranked
        WHERE newest <= 20000
    ))
