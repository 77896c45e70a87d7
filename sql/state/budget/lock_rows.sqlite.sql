-- The application's budget rows (BEGIN IMMEDIATE already holds the write lock).
SELECT window_kind, window_start, used, limit_value
FROM rate_budget WHERE app_key = :app_key;
