{{ config(materialized='table') }}
-- The week spine: every local Monday from the first activity's week to the newest run's week,
-- or the newest activity's when production already holds a later one (an archive exported, or a
-- webhook event applied, after the run date), including weeks without activities: every
-- activity is in a week of the spine. A digits cross join (up to 10,000 weeks), portable to
-- DuckDB, PostgreSQL and Redshift (no generate_series, no recursion).
WITH digits AS (
    SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
    UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9
),
week_numbers AS (
    SELECT ones.d + 10 * tens.d + 100 * hundreds.d + 1000 * thousands.d AS n
    FROM digits AS ones
    CROSS JOIN digits AS tens
    CROSS JOIN digits AS hundreds
    CROSS JOIN digits AS thousands
),
bounds AS (
    SELECT
        (SELECT MIN(week_start) FROM {{ ref('stg_activities') }}) AS first_week,
        (SELECT MAX(week_start) FROM (
            SELECT week_start FROM {{ ref('stg_run_weeks') }}
            UNION ALL
            SELECT week_start FROM {{ ref('stg_activities') }}
        ) AS ends) AS last_week
)
SELECT b.first_week + 7 * w.n AS week_start
FROM bounds AS b
CROSS JOIN week_numbers AS w
WHERE b.first_week + 7 * w.n <= b.last_week
