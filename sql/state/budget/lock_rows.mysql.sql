-- The application's budget rows, locked until the transaction ends.
SELECT window_kind, window_start, used, limit_value
FROM rate_budget WHERE app_key = :app_key
FOR UPDATE;
