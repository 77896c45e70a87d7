-- Rows of the run date's staging table with a negative distance, moving_time or elapsed_time.
SELECT
    COUNT(*) AS rows_with_negative_measures,
    CASE WHEN COUNT(*) > 0 THEN 'for example id ' || CAST(MIN(id) AS VARCHAR) END AS note
FROM {staging_table}
WHERE distance < 0 OR moving_time < 0 OR elapsed_time < 0;
