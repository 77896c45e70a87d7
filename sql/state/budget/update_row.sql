-- Store one window kind's count (both dialects).
UPDATE rate_budget
SET window_start = :window_start, used = :used, limit_value = :limit_value
WHERE app_key = :app_key AND window_kind = :window_kind;
