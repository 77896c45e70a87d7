-- Every activity up to the end of the run date (local wall clock), one row each: what the
-- dashboard's training charts, records and week table are computed from. Read-only; a candidate
-- for the marts layer (sport family and workout label belong in the staging model).
SELECT
    id,
    name,
    sport_type,
    CASE
        WHEN sport_type IN ('Run', 'TrailRun', 'VirtualRun') THEN 'run'
        WHEN sport_type IN ('Ride', 'GravelRide', 'MountainBikeRide', 'EBikeRide',
                            'EMountainBikeRide', 'VirtualRide') THEN 'ride'
        ELSE 'other'
    END AS sport_family,
    CASE
        WHEN sport_type IN ('Run', 'TrailRun', 'VirtualRun') THEN
            CASE workout_type WHEN 1 THEN 'race' WHEN 2 THEN 'long run'
                              WHEN 3 THEN 'workout' ELSE 'default' END
        WHEN sport_type IN ('Ride', 'GravelRide', 'MountainBikeRide', 'EBikeRide',
                            'EMountainBikeRide', 'VirtualRide') THEN
            CASE workout_type WHEN 11 THEN 'race' WHEN 12 THEN 'workout' ELSE 'default' END
    END AS workout_type_label,
    start_date_local,
    COALESCE(distance, 0) AS distance_m,
    COALESCE(moving_time, 0) AS moving_time_s,
    COALESCE(total_elevation_gain, 0) AS elevation_gain_m,
    average_heartrate,
    suffer_score,
    kudos_count,
    comment_count
FROM {production_table}
WHERE start_date_local IS NOT NULL
    AND start_date_local < :day_after_run_date
ORDER BY start_date_local, id
