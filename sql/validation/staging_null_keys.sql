-- Rows of the run date's staging table with a NULL id, start_date or sport_type.
SELECT
    COUNT(*) AS rows_with_null_keys,
    CASE WHEN COUNT(*) > 0 THEN
        'NULL id: ' || CAST(SUM(CASE WHEN id IS NULL THEN 1 ELSE 0 END) AS VARCHAR)
        || ', NULL start_date: '
        || CAST(SUM(CASE WHEN start_date IS NULL THEN 1 ELSE 0 END) AS VARCHAR)
        || ', NULL sport_type: '
        || CAST(SUM(CASE WHEN sport_type IS NULL THEN 1 ELSE 0 END) AS VARCHAR)
    END AS note
FROM {staging_table}
WHERE id IS NULL OR start_date IS NULL OR sport_type IS NULL;
