-- Rows of the run date's staging table that the run date does not cover: a local start date after
-- the run date (start_date_local >= :run_week_end), or a start at or after the extract's upper
-- bound (UTC, the end of the run date at UTC-12).
SELECT
    COUNT(*) AS rows_after_run_date,
    CASE WHEN COUNT(*) > 0 THEN
        'latest start_date_local ' || CAST(MAX(start_date_local) AS VARCHAR)
        || ', for example id ' || CAST(MIN(id) AS VARCHAR)
    END AS note
FROM {staging_table}
WHERE start_date_local >= :run_week_end OR start_date >= :upper_bound;
