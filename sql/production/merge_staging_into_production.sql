-- Upsert by id: staging holds the lookback window again, with fresh kudos and names.
-- Runs inside the transaction that also writes the LoadProduction marker.
DELETE FROM {production_table}
WHERE id IN (SELECT id FROM {staging_table});

INSERT INTO {production_table}
SELECT * FROM {staging_table};
