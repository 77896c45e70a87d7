-- The newest training, promoted or not (what "production changed since" compares against).
SELECT model_version, data_fingerprint
FROM kudos_model_runs
WHERE model_sha256 IS NOT NULL
ORDER BY trained_at DESC, model_version DESC
LIMIT 1;
