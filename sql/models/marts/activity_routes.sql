-- Activities with a GPS route: the encoded summary polyline the dashboard's map decodes.
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
