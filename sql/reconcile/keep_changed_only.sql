-- Leave in the reconciliation's staging table only the activities that are new or whose values
-- differ from production's (every column but extracted_at; INTERSECT counts NULLs as equal), so
-- the merge that follows rewrites nothing that did not change. Measures outside their physical
-- range become NULL first, as the merge stores them.
UPDATE {staging_table} SET
    {{ fragment('null_outside_physical_ranges') }}
WHERE {{ fragment('outside_physical_ranges') }};

DELETE FROM {staging_table}
WHERE id IN (
    SELECT id FROM (
        SELECT {{ fragment('compared_columns') }} FROM {staging_table}
        INTERSECT
        SELECT {{ fragment('compared_columns') }} FROM {production_table}
    ) AS unchanged
);

SELECT COUNT(*) FROM {staging_table};
