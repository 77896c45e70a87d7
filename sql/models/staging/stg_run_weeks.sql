{{ config(materialized='incremental') }}
-- One row per run date that built the models: the run's week as bounds on start_date_local
-- (its Monday to the run date, :run_week_start <= start_date_local < :run_week_end, from
-- pipeline/run_dates.py; unfinished unless the run date is a Sunday) and the local Monday that
-- ends the week spine.
-- Incremental: a build replaces only its own run date's row, so the newest run's week stays
-- whatever date ran last.
SELECT
    CAST(:run_date AS DATE) AS run_date,
    CAST(:run_week_start AS DATE) AS week_start,
    CAST(:run_week_start AS TIMESTAMP) AS starts_at,
    CAST(:run_week_end AS TIMESTAMP) AS ends_at
