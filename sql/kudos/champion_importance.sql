-- Permutation importance of the champion as of a run date, most important first.
-- One athlete's (issue 26: :athlete_id; 0 on an install of one athlete: every row).
SELECT i.feature, i.importance_mean, i.importance_std, i.model_version
FROM kudos_feature_importance AS i
WHERE i.model_version = (
    SELECT r.model_version FROM kudos_model_runs AS r
    WHERE r.promoted = TRUE AND r.model_version IS NOT NULL AND r.run_date <= :run_date
      AND (:athlete_id = 0 OR r.athlete_id = :athlete_id)
    ORDER BY r.trained_at DESC, r.model_version DESC
    LIMIT 1
)
ORDER BY i.importance_mean DESC, i.feature;
