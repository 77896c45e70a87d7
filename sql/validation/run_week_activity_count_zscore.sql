-- |z| of the number of activities that started in the run's week against the trailing weeks.
-- Weeks are the local Monday weeks (weeks_before = 0 is the run's week, 1 the week before it,
-- ...); the history is the :trailing_weeks weeks before the run's (fewer when the first
-- activity is more recent: from its week on), and weeks without activities count as zero. A
-- growing account is compared with its recent weeks, not with its first years. When the run's
-- week is unfinished (a run date before Sunday), every week counts only the same days, Monday
-- to the run date's weekday, so a partial week is compared with partial weeks. Activities are
-- staging plus the production rows staging does not replace (production after this load).
-- The z-score is NULL, with the reason in the note, when the history has fewer than
-- :min_history_weeks weeks or never varies.
WITH activities AS (
    {{ fragment('activities_after_this_load') }}
),
dated AS (
    SELECT CAST(FLOOR(
        (CAST(:run_week_start AS DATE) - CAST(start_date_local AS DATE) + 6) / 7.0
    ) AS INTEGER) AS weeks_before
    FROM activities
    WHERE start_date_local < :run_week_end
        AND ((CAST(start_date_local AS DATE) - CAST(:run_week_start AS DATE)) % 7 + 7) % 7
            < CAST(:run_week_end AS DATE) - CAST(:run_week_start AS DATE)
),
weekly AS (
    SELECT weeks_before, COUNT(*) AS activity_count
    FROM dated
    GROUP BY weeks_before
),
history AS (
    SELECT
        LEAST(COALESCE(MAX(weeks_before), 0), :trailing_weeks) AS weeks,
        CAST(COALESCE(SUM(activity_count), 0) AS DOUBLE PRECISION) AS total,
        CAST(COALESCE(SUM(activity_count * activity_count), 0) AS DOUBLE PRECISION) AS squares
    FROM weekly
    WHERE weeks_before BETWEEN 1 AND :trailing_weeks
),
run_week AS (
    SELECT CAST(COALESCE(SUM(activity_count), 0) AS DOUBLE PRECISION) AS activity_count
    FROM weekly
    WHERE weeks_before = 0
),
stats AS (
    SELECT
        r.activity_count,
        h.weeks,
        CASE WHEN h.weeks > 0 THEN h.total / h.weeks END AS mean,
        CASE WHEN h.weeks > 1 THEN
            (h.weeks * h.squares - h.total * h.total) / (h.weeks * (h.weeks - 1))
        END AS variance
    FROM run_week AS r
    CROSS JOIN history AS h
)
SELECT
    CASE WHEN weeks >= :min_history_weeks AND variance > 0
        THEN ABS(activity_count - mean) / SQRT(variance)
    END AS abs_z_score,
    CASE
        WHEN weeks < :min_history_weeks THEN
            'only ' || CAST(weeks AS VARCHAR) || ' weeks of history before the run''s week, '
            || CAST(:min_history_weeks AS VARCHAR) || ' needed'
        WHEN variance IS NULL OR variance <= 0 THEN
            'the weekly activity counts of the history never vary (standard deviation 0)'
        ELSE
            CAST(CAST(activity_count AS INTEGER) AS VARCHAR) || ' activities in the run''s week; '
            || CAST(weeks AS VARCHAR) || ' earlier weeks: mean '
            || CAST(CAST(mean AS DECIMAL(12, 2)) AS VARCHAR) || ', standard deviation '
            || CAST(CAST(SQRT(variance) AS DECIMAL(12, 2)) AS VARCHAR)
    END AS note
FROM stats;
