-- What merging an archive's staging table will do: rows staged, of those the activities the
-- API loaded (kept as they are) and those an earlier archive import inserted (replaced).
SELECT
    COUNT(*) AS staged,
    SUM(CASE WHEN p.id IS NOT NULL AND a.id IS NULL THEN 1 ELSE 0 END) AS from_api,
    SUM(CASE WHEN a.id IS NOT NULL THEN 1 ELSE 0 END) AS from_archive
FROM {staging_table} AS s
LEFT JOIN {production_table} AS p ON p.id = s.id
LEFT JOIN archive_activities AS a ON a.id = p.id AND a.imported_at = p.extracted_at;
