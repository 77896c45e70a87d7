-- The activities of the run's week (the seven local dates ending with the run date, bounds from
-- pipeline/run_dates.py), for the dashboard's table.
SELECT
    id,
    start_date_local,
    name,
    sport_type,
    CASE
        WHEN sport_type IN ('Run', 'TrailRun', 'VirtualRun') THEN
            CASE workout_type WHEN 1 THEN 'race' WHEN 2 THEN 'long run'
                              WHEN 3 THEN 'workout' ELSE 'default' END
        WHEN sport_type IN ('Ride', 'GravelRide', 'MountainBikeRide', 'EBikeRide',
                            'EMountainBikeRide', 'VirtualRide') THEN
            CASE workout_type WHEN 11 THEN 'race' WHEN 12 THEN 'workout' ELSE 'default' END
    END AS workout_type_label,
    ROUND(CAST(COALESCE(distance, 0) / 1000.0 AS NUMERIC(18, 6)), 2) AS distance_km,
    ROUND(CAST(CAST(COALESCE(moving_time, 0) AS DOUBLE PRECISION) / 60.0 AS NUMERIC(18, 6)), 1)
        AS moving_minutes,
    ROUND(CAST(COALESCE(total_elevation_gain, 0) AS NUMERIC(18, 6)), 1) AS elevation_gain_m,
    kudos_count,
    comment_count
FROM {production_table}
WHERE start_date_local >= :run_week_start AND start_date_local < :run_week_end
