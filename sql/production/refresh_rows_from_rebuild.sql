-- strava-pipeline rebuild-from-lake: production's rows replaced by the rows rebuilt from one run
-- date's raw JSON (pipeline/rebuild_lake.py), in the transaction that loaded them.
-- Only rows production holds from that read or an older one: a rebuild never brings back an
-- activity production no longer has (deleted on Strava, or forgotten), and never puts an older
-- read over a newer one (extracted_at is when the raw JSON was read).
DELETE FROM {staging_table}
WHERE id NOT IN (
    SELECT p.id
    FROM {production_table} AS p
    JOIN {staging_table} AS r ON r.id = p.id
    WHERE p.extracted_at IS NULL OR p.extracted_at <= r.extracted_at
);
