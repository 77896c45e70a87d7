{{ config(materialized='table') }}
-- One row per production activity, with everything the marts derive from it, derived here once:
-- the sport family and readable workout label, the athlete's local week (Monday), month and
-- year (from start_date_local, the athlete's wall clock, never UTC), and km, miles, hours and
-- minutes. Sport families: run = Run, TrailRun, VirtualRun; ride = Ride, GravelRide,
-- MountainBikeRide, EBikeRide, EMountainBikeRide, VirtualRide; any other sport has none.
-- Workout codes: runs 1 race, 2 long run, 3 workout; rides 11 race, 12 workout; any other code
-- (or NULL) is default.
WITH families AS (
    SELECT
        p.*,
        CASE
            WHEN sport_type IN ('Run', 'TrailRun', 'VirtualRun') THEN 'run'
            WHEN sport_type IN ('Ride', 'GravelRide', 'MountainBikeRide', 'EBikeRide',
                                'EMountainBikeRide', 'VirtualRide') THEN 'ride'
        END AS sport_family
    FROM {production_table} AS p
)
SELECT
    id,
    name,
    sport_type,
    sport_family,
    workout_type,
    CASE sport_family
        WHEN 'run' THEN CASE workout_type WHEN 1 THEN 'race' WHEN 2 THEN 'long run'
                                          WHEN 3 THEN 'workout' ELSE 'default' END
        WHEN 'ride' THEN CASE workout_type WHEN 11 THEN 'race' WHEN 12 THEN 'workout'
                                           ELSE 'default' END
    END AS workout_type_label,
    start_date_local,
    CAST(DATE_TRUNC('week', start_date_local) AS DATE) AS week_start,
    CAST(DATE_TRUNC('month', start_date_local) AS DATE) AS activity_month,
    CAST(EXTRACT(YEAR FROM start_date_local) AS INTEGER) AS activity_year,
    timezone,
    location_country,
    distance,
    COALESCE(distance, 0) / 1000.0 AS distance_km,
    COALESCE(distance, 0) / 1609.344 AS distance_miles,
    moving_time,
    CAST(COALESCE(moving_time, 0) AS DOUBLE PRECISION) / 3600.0 AS moving_hours,
    CAST(COALESCE(moving_time, 0) AS DOUBLE PRECISION) / 60.0 AS moving_minutes,
    total_elevation_gain,
    kudos_count,
    comment_count,
    summary_polyline
FROM families
