-- An archive's staging table merged into production by id (pipeline/archive/importer.py), in
-- the transaction that also writes the import's marker.
-- The API wins: an activity production holds from the API keeps every value it has (the
-- archive's row is dropped); a row an earlier archive import inserted, still as it was
-- inserted, is replaced; every other activity is added.

-- The same rule for impossible values as a weekly load (sql/fragments/physical_ranges.csv).
UPDATE {staging_table} SET
    {{ fragment('null_outside_physical_ranges') }}
WHERE {{ fragment('outside_physical_ranges') }};

DELETE FROM {staging_table}
WHERE id IN (
    SELECT p.id FROM {production_table} AS p
    WHERE NOT EXISTS (
        SELECT 1 FROM archive_activities AS a
        WHERE a.id = p.id AND a.imported_at = p.extracted_at
    )
);

DELETE FROM {production_table}
WHERE id IN (SELECT id FROM {staging_table});

DELETE FROM archive_activities
WHERE id IN (SELECT id FROM {staging_table});

INSERT INTO archive_activities (id, imported_at, archive_id, athlete_id)
SELECT id, extracted_at, :archive_id, athlete_id FROM {staging_table};

INSERT INTO {production_table}
SELECT * FROM {staging_table};
