-- Activities with a GPS route: the encoded summary polyline the dashboard's map decodes.
SELECT
    id,
    name,
    sport_type,
    start_date_local,
    CAST(DATE_TRUNC('week', start_date_local) AS DATE) AS week_start,
    timezone,
    location_country,
    kudos_count,
    ROUND(CAST(COALESCE(distance, 0) / 1000.0 AS NUMERIC(18, 6)), 2) AS distance_km,
    summary_polyline
FROM {production_table}
WHERE summary_polyline IS NOT NULL AND summary_polyline <> ''
