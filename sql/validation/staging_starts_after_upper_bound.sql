-- Rows of the run date's staging table that start at or after the run's upper bound (UTC, the
-- end of the run date): the extract asked only for activities before it.
SELECT
    COUNT(*) AS rows_after_upper_bound,
    CASE WHEN COUNT(*) > 0 THEN
        'latest start_date ' || CAST(MAX(start_date) AS VARCHAR)
        || ', for example id ' || CAST(MIN(id) AS VARCHAR)
    END AS note
FROM {staging_table}
WHERE start_date >= :upper_bound;
