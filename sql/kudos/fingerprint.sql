-- The kudos model's data fingerprint, computed where the data is (nothing comes into Python):
-- every production row the model reads (sql/kudos/training_activities.sql's columns, started
-- before :local_end) hashed with MD5 (DuckDB, PostgreSQL and Redshift all have it), and three
-- 28-bit slices of each hash summed over the rows. Same rows, same fingerprint, in any order;
-- any changed value, added or removed row changes it (but for an 84-bit sum collision).
-- Also returned: the row count, and the labelled activities settled by :settled_end (kudos_count
-- >= 0 and started before it: the rows a training learns and tests from, n_train + n_test).
-- One athlete's (issue 26: :athlete_id; 0 on an install of one athlete: every row).
WITH hashed AS (
    SELECT md5(COALESCE(CAST(id AS VARCHAR), '~')
                  || '|' || COALESCE(CAST(athlete_id AS VARCHAR), '~')
                  || '|' || COALESCE(CAST(distance AS VARCHAR), '~')
                  || '|' || COALESCE(CAST(moving_time AS VARCHAR), '~')
                  || '|' || COALESCE(CAST(total_elevation_gain AS VARCHAR), '~')
                  || '|' || COALESCE(CAST(sport_type AS VARCHAR), '~')
                  || '|' || COALESCE(CAST(workout_type AS VARCHAR), '~')
                  || '|' || COALESCE(CAST(start_date AS VARCHAR), '~')
                  || '|' || COALESCE(CAST(start_date_local AS VARCHAR), '~')
                  || '|' || COALESCE(CAST(achievement_count AS VARCHAR), '~')
                  || '|' || COALESCE(CAST(kudos_count AS VARCHAR), '~')
                  || '|' || COALESCE(CAST(athlete_count AS VARCHAR), '~')
                  || '|' || COALESCE(CAST(pr_count AS VARCHAR), '~')
                  || '|' || CASE WHEN trainer THEN 't' WHEN NOT trainer THEN 'f' ELSE '~' END
                  || '|' || CASE WHEN commute THEN 't' WHEN NOT commute THEN 'f' ELSE '~' END
                  || '|' || COALESCE(CAST(visibility AS VARCHAR), '~')
                  || '|' || CASE WHEN private THEN 't' WHEN NOT private THEN 'f' ELSE '~' END
                  || '|' || COALESCE(CAST(name AS VARCHAR), '~')
                  || '|' || COALESCE(CAST(total_photo_count AS VARCHAR), '~')) AS h,
           kudos_count, start_date_local
    FROM {production_table}
    WHERE start_date_local < :local_end
      AND (:athlete_id = 0 OR athlete_id = :athlete_id)
)
SELECT COUNT(*) AS activities,
       SUM(CASE WHEN kudos_count >= 0 AND start_date_local < :settled_end THEN 1 ELSE 0 END)
           AS labelled,
       SUM((STRPOS('0123456789abcdef', SUBSTRING(h, 1, 1)) - 1) * 16777216
           + (STRPOS('0123456789abcdef', SUBSTRING(h, 2, 1)) - 1) * 1048576
           + (STRPOS('0123456789abcdef', SUBSTRING(h, 3, 1)) - 1) * 65536
           + (STRPOS('0123456789abcdef', SUBSTRING(h, 4, 1)) - 1) * 4096
           + (STRPOS('0123456789abcdef', SUBSTRING(h, 5, 1)) - 1) * 256
           + (STRPOS('0123456789abcdef', SUBSTRING(h, 6, 1)) - 1) * 16
           + (STRPOS('0123456789abcdef', SUBSTRING(h, 7, 1)) - 1) * 1) AS slice_1,
       SUM((STRPOS('0123456789abcdef', SUBSTRING(h, 8, 1)) - 1) * 16777216
           + (STRPOS('0123456789abcdef', SUBSTRING(h, 9, 1)) - 1) * 1048576
           + (STRPOS('0123456789abcdef', SUBSTRING(h, 10, 1)) - 1) * 65536
           + (STRPOS('0123456789abcdef', SUBSTRING(h, 11, 1)) - 1) * 4096
           + (STRPOS('0123456789abcdef', SUBSTRING(h, 12, 1)) - 1) * 256
           + (STRPOS('0123456789abcdef', SUBSTRING(h, 13, 1)) - 1) * 16
           + (STRPOS('0123456789abcdef', SUBSTRING(h, 14, 1)) - 1) * 1) AS slice_2,
       SUM((STRPOS('0123456789abcdef', SUBSTRING(h, 15, 1)) - 1) * 16777216
           + (STRPOS('0123456789abcdef', SUBSTRING(h, 16, 1)) - 1) * 1048576
           + (STRPOS('0123456789abcdef', SUBSTRING(h, 17, 1)) - 1) * 65536
           + (STRPOS('0123456789abcdef', SUBSTRING(h, 18, 1)) - 1) * 4096
           + (STRPOS('0123456789abcdef', SUBSTRING(h, 19, 1)) - 1) * 256
           + (STRPOS('0123456789abcdef', SUBSTRING(h, 20, 1)) - 1) * 16
           + (STRPOS('0123456789abcdef', SUBSTRING(h, 21, 1)) - 1) * 1) AS slice_3
FROM hashed;
