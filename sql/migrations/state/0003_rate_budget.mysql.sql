-- 0003 (issue 26): the application's shared read budget. One row per application (a hash of
-- the API URL and client id) and window kind ('15min', 'daily'): the window it counts (epoch
-- seconds of its start), the requests reserved in it (before they were sent, corrected upwards
-- from Strava's X-RateLimit-Usage on every answer) and the limit Strava last reported.
CREATE TABLE IF NOT EXISTS rate_budget (
    app_key VARCHAR(64) NOT NULL,
    window_kind VARCHAR(8) NOT NULL,
    window_start BIGINT NOT NULL,
    used INTEGER NOT NULL,
    limit_value INTEGER NOT NULL,
    PRIMARY KEY (app_key, window_kind)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
