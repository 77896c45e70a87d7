{{ config(materialized='view') }}
-- A view (issue 23): as a table it copied the whole of production, summary polylines included,
-- every week (the weekly run's peak memory grew with the history); each mart reads it inline.
-- One row per production activity, with everything the marts derive from it, derived here once:
-- the sport family (stg_sport_families; NULL for a sport without one) and readable workout label
-- (stg_workout_types: the label of the family's code, else its 'default'), the athlete's local
-- week (its Monday: sql/fragments/week_start.sql, the one week), month and year (from
-- start_date_local, the athlete's wall clock, never UTC), and km, miles, hours and minutes. A
-- private activity's kudos_count is NULL (sql/fragments/kudos_possible.sql): it can get no kudos, so no mart's kudos aggregate counts it.
-- An activity whose local start is before 1970 (one a release before the plausible-date rule let
-- in, see pipeline/run_dates.py) stays in production but is left out here, so that no model or
-- the week spine depends on the oldest date being sane.
WITH labelled AS (
    SELECT
        p.*,
        f.sport_family,
        COALESCE(coded.workout_type_label, fallback.workout_type_label) AS workout_type_label
    FROM {production_table} AS p
    LEFT JOIN {{ ref('stg_sport_families') }} AS f ON f.sport_type = p.sport_type
    LEFT JOIN {{ ref('stg_workout_types') }} AS coded
        ON coded.sport_family = f.sport_family AND coded.workout_type = p.workout_type
    LEFT JOIN {{ ref('stg_workout_types') }} AS fallback
        ON fallback.sport_family = f.sport_family AND fallback.workout_type IS NULL
)
SELECT
    id,
    name,
    sport_type,
    sport_family,
    workout_type,
    workout_type_label,
    start_date_local,
    {{ fragment('week_start') }} AS week_start,
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
    CASE WHEN {{ fragment('kudos_possible') }} THEN kudos_count END AS kudos_count,
    comment_count,
    average_heartrate,
    suffer_score,
    summary_polyline,
    COALESCE(athlete_id, 0) AS athlete_id
FROM labelled
WHERE {{ fragment('plausible_start_local') }}
