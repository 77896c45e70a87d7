-- Activities that started in the run's week: its Monday to the run date (pipeline/run_dates.py)
-- (:run_week_start <= start_date_local < :run_week_end), counted in staging plus the production
-- rows that staging does not replace, i.e. production as it will be after this load.
WITH activities AS (
    {{ fragment('activities_after_this_load') }}
)
SELECT COUNT(*) AS activities_in_run_week
FROM activities
WHERE start_date_local >= :run_week_start AND start_date_local < :run_week_end;
