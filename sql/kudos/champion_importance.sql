-- Permutation importance of the champion as of a run date, most important first.
SELECT i.feature, i.importance_mean, i.importance_std, i.model_version
FROM kudos_feature_importance AS i
WHERE i.model_version = (
    SELECT r.model_version FROM kudos_model_runs AS r
    WHERE r.promoted = TRUE AND r.model_version IS NOT NULL AND r.run_date <= :run_date
    ORDER BY r.trained_at DESC, r.model_version DESC
    LIMIT 1
)
ORDER BY i.importance_mean DESC, i.feature;
