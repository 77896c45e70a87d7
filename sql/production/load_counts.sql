-- What a load will do, read just before it (the run's summary): how many staged activities are
-- new to production, how many production already holds with a different value in a column a
-- person sees, and how many rows production holds now (the summary's "removed" is the rows
-- before plus the new ones less the rows after the load).
SELECT
    SUM(CASE WHEN p.id IS NULL THEN 1 ELSE 0 END) AS added,
    SUM(CASE WHEN p.id IS NOT NULL AND NOT (
            (s.name = p.name OR (s.name IS NULL AND p.name IS NULL))
        AND (s.sport_type = p.sport_type OR (s.sport_type IS NULL AND p.sport_type IS NULL))
        AND (s.distance = p.distance OR (s.distance IS NULL AND p.distance IS NULL))
        AND (s.moving_time = p.moving_time OR (s.moving_time IS NULL AND p.moving_time IS NULL))
        AND (s.elapsed_time = p.elapsed_time
             OR (s.elapsed_time IS NULL AND p.elapsed_time IS NULL))
        AND (s.kudos_count = p.kudos_count OR (s.kudos_count IS NULL AND p.kudos_count IS NULL))
        AND (s.comment_count = p.comment_count
             OR (s.comment_count IS NULL AND p.comment_count IS NULL))
        AND (s.start_date = p.start_date OR (s.start_date IS NULL AND p.start_date IS NULL))
    ) THEN 1 ELSE 0 END) AS changed,
    (SELECT COUNT(*) FROM {production_table}) AS production_rows
FROM {staging_table} s
LEFT JOIN {production_table} p ON p.id = s.id;
