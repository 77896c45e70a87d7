-- Rows of the run date's staging table that the run date does not cover: a local start date after
-- the run date (start_date_local >= :run_week_end), or a start at or after the extract's upper
-- bound (UTC, the end of the run date at UTC-12). The note cites one such row, its own id and
-- both of its own start times (the latest start first).
WITH late AS (
    SELECT id, start_date, start_date_local
    FROM {staging_table}
    WHERE start_date_local >= :run_week_end OR start_date >= :upper_bound
),
cited AS (
    SELECT id, start_date, start_date_local
    FROM late
    ORDER BY start_date_local DESC NULLS LAST, start_date DESC NULLS LAST, id
    LIMIT 1
)
SELECT
    (SELECT COUNT(*) FROM late) AS rows_after_run_date,
    (SELECT 'for example id ' || CAST(id AS VARCHAR) || ': start_date_local '
            || COALESCE(CAST(start_date_local AS VARCHAR), 'NULL') || ', start_date '
            || COALESCE(CAST(start_date AS VARCHAR), 'NULL')
     FROM cited) AS note;
