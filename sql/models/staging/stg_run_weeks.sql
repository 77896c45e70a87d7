{{ config(materialized='incremental') }}
-- One row per run date that built the models: the run's local Monday week as a date and as the
-- [starts_at, ends_at) bounds on start_date_local. Incremental: a build replaces only its own
-- run date's row, so the newest run's week stays whatever date ran last.
SELECT
    CAST(:run_date AS DATE) AS run_date,
    CAST(DATE_TRUNC('week', CAST(:run_date AS TIMESTAMP)) AS DATE) AS week_start,
    CAST(DATE_TRUNC('week', CAST(:run_date AS TIMESTAMP)) AS TIMESTAMP) AS starts_at,
    CAST(DATE_TRUNC('week', CAST(:run_date AS TIMESTAMP)) AS TIMESTAMP) + INTERVAL '7 day'
        AS ends_at
