-- Rows of the run date's staging table with a measure outside its physical range
-- (sql/fragments/physical_ranges.csv: distance, times, speeds, coordinates, heart rates, counts
-- ...). The merge stores such a measure as NULL, by the same list, so that no model can overflow.
-- NaN is outside every range (NOT BETWEEN is true for it on every warehouse); NULL is not.
SELECT
    COUNT(*) AS rows_outside_physical_ranges,
    CASE WHEN COUNT(*) > 0 THEN 'for example id ' || CAST(MIN(id) AS VARCHAR)
        || '; these measures are stored as NULL' END AS note
FROM {staging_table}
WHERE {{ fragment('outside_physical_ranges') }};
