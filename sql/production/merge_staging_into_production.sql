-- Upsert by id: staging holds the lookback window again, with fresh kudos and names.
-- Runs inside the transaction that also writes the LoadProduction marker.

-- One rule for impossible values: a measure outside its physical range
-- (sql/fragments/physical_ranges.csv, also counted by the warn check
-- measures_within_physical_ranges) is stored as NULL, the rest of the activity loads, and no
-- model can overflow on it. The lake keeps the value as received.
UPDATE {staging_table} SET
    {{ fragment('null_outside_physical_ranges') }}
WHERE {{ fragment('outside_physical_ranges') }};

DELETE FROM {production_table}
WHERE id IN (SELECT id FROM {staging_table});

INSERT INTO {production_table}
SELECT * FROM {staging_table};
