{{ config(materialized='view') }}
-- The sport family of each Strava sport_type that has one: the one list of which sports are runs
-- and which are rides. Every model derives sport_family from here (through stg_activities); a
-- sport_type not listed has no family (NULL), and the dashboard shows it as 'other'.
SELECT CAST('Run' AS VARCHAR(64)) AS sport_type, CAST('run' AS VARCHAR(8)) AS sport_family
UNION ALL SELECT 'TrailRun', 'run'
UNION ALL SELECT 'VirtualRun', 'run'
UNION ALL SELECT 'Ride', 'ride'
UNION ALL SELECT 'GravelRide', 'ride'
UNION ALL SELECT 'MountainBikeRide', 'ride'
UNION ALL SELECT 'EBikeRide', 'ride'
UNION ALL SELECT 'EMountainBikeRide', 'ride'
UNION ALL SELECT 'VirtualRide', 'ride'
