-- Permutation importance of each trained model on its test set: how much the test RMSE grows
-- when one feature's values are shuffled (mean and standard deviation over the repeats).
CREATE TABLE IF NOT EXISTS kudos_feature_importance (
    model_version VARCHAR(64) NOT NULL,
    feature VARCHAR(64) NOT NULL,
    importance_mean DOUBLE PRECISION NOT NULL,
    importance_std DOUBLE PRECISION NOT NULL
);
