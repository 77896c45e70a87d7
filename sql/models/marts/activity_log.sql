-- Every activity, one row each, with what the dashboard's training charts, records and week
-- table are computed from (the dashboard reads it up to the end of its run date). The sport
-- family is NULL for a sport without one; measures Strava left out count as 0.
SELECT
    id,
    name,
    sport_type,
    sport_family,
    workout_type_label,
    start_date_local,
    COALESCE(distance, 0) AS distance_m,
    COALESCE(moving_time, 0) AS moving_time_s,
    COALESCE(total_elevation_gain, 0) AS elevation_gain_m,
    average_heartrate,
    suffer_score,
    kudos_count,
    comment_count,
    athlete_id
FROM {{ ref('stg_activities') }}
