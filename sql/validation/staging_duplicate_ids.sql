-- Ids that occur more than once in the run date's staging table.
SELECT
    COUNT(*) AS duplicated_ids,
    CASE WHEN COUNT(*) > 0 THEN 'for example id ' || CAST(MIN(id) AS VARCHAR) END AS note
FROM (
    SELECT id
    FROM {staging_table}
    WHERE id IS NOT NULL
    GROUP BY id
    HAVING COUNT(*) > 1
) AS duplicated;
