-- Columns whose name, position or type differ between the run date's staging table and
-- production, counting a column missing on either side (the merge inserts staging with SELECT *,
-- so position matters). Table names come from the fixed set and are safe inside the quotes.
WITH staging_columns AS (
    SELECT column_name, ordinal_position, data_type,
           COALESCE(character_maximum_length, -1) AS max_length
    FROM information_schema.columns
    WHERE table_name = '{staging_table}' AND table_schema = CURRENT_SCHEMA()
),
production_columns AS (
    SELECT column_name, ordinal_position, data_type,
           COALESCE(character_maximum_length, -1) AS max_length
    FROM information_schema.columns
    WHERE table_name = '{production_table}' AND table_schema = CURRENT_SCHEMA()
),
mismatches AS (
    SELECT COALESCE(s.column_name, p.column_name) AS column_name
    FROM staging_columns AS s
    FULL OUTER JOIN production_columns AS p
        ON s.column_name = p.column_name
        AND s.ordinal_position = p.ordinal_position
        AND s.data_type = p.data_type
        AND s.max_length = p.max_length
    WHERE s.column_name IS NULL OR p.column_name IS NULL
)
SELECT
    COUNT(DISTINCT column_name) AS mismatched_columns,
    CASE WHEN COUNT(*) > 0 THEN 'first differing column: ' || MIN(column_name) END AS note
FROM mismatches;
