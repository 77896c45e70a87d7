-- The budget row of one application and window kind, if it is not there yet.
INSERT OR IGNORE INTO rate_budget (app_key, window_kind, window_start, used, limit_value)
VALUES (:app_key, :window_kind, :window_start, 0, :limit_value);
