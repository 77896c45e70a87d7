-- Upsert by id: staging holds the lookback window again, with fresh kudos and names.
-- Runs inside the transaction that also writes the LoadProduction marker.

DELETE FROM {production_table}
WHERE id IN (SELECT id FROM {staging_table});

-- One rule for impossible values: a measure outside its physical range
-- (sql/fragments/physical_ranges.csv, also counted by the warn check
-- measures_within_physical_ranges) is stored as NULL, the rest of the activity loads, and no
-- model can overflow on it. The lake keeps the value as received. The rule is applied inside
-- this SELECT (issue 23): staging is read once, never rewritten by an UPDATE.
INSERT INTO {production_table} ({{ fragment('activity_column_names') }})
SELECT {{ fragment('activity_columns_in_range') }}
FROM {staging_table};
