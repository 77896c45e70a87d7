-- |z| of the run's week's average kudos against the average kudos of the trailing weeks.
-- Weeks are the local Monday weeks (weeks_before = 0 is the run's week); the history is the
-- :trailing_weeks weeks before the run's, and a week without activities that can get kudos has
-- no average and is not part of it. Activities are staging plus the production rows staging
-- does not replace; a private activity (kudos_count NULL in the fragment) counts in no average.
-- When the run's week is unfinished, every week counts only the same days (Monday to the run
-- date's weekday).
-- The z-score is NULL, with the reason in the note, when the run's week has no kudos counts,
-- the history has fewer than :min_history_weeks weeks, or the history never varies.
WITH activities AS (
    {{ fragment('activities_after_this_load') }}
),
dated AS (
    SELECT
        CAST(FLOOR(
            (CAST(:run_week_start AS DATE) - CAST(start_date_local AS DATE) + 6) / 7.0
        ) AS INTEGER) AS weeks_before,
        CAST(kudos_count AS DOUBLE PRECISION) AS kudos
    FROM activities
    WHERE start_date_local < :run_week_end AND kudos_count IS NOT NULL
        AND ((CAST(start_date_local AS DATE) - CAST(:run_week_start AS DATE)) % 7 + 7) % 7
            < CAST(:run_week_end AS DATE) - CAST(:run_week_start AS DATE)
),
weekly AS (
    SELECT weeks_before, AVG(kudos) AS average_kudos
    FROM dated
    GROUP BY weeks_before
),
history AS (
    SELECT
        COUNT(*) AS weeks,
        AVG(average_kudos) AS mean,
        STDDEV_SAMP(average_kudos) AS deviation,
        MIN(average_kudos) AS lowest,
        MAX(average_kudos) AS highest
    FROM weekly
    WHERE weeks_before BETWEEN 1 AND :trailing_weeks
),
run_week AS (
    SELECT MAX(average_kudos) AS average_kudos
    FROM weekly
    WHERE weeks_before = 0
)
SELECT
    CASE
        WHEN r.average_kudos IS NOT NULL AND h.weeks >= :min_history_weeks
            AND h.lowest < h.highest
        THEN ABS(r.average_kudos - h.mean) / h.deviation
    END AS abs_z_score,
    CASE
        WHEN r.average_kudos IS NULL THEN
            'no activity with a kudos count in the run''s week'
        WHEN h.weeks < :min_history_weeks THEN
            'only ' || CAST(h.weeks AS VARCHAR) || ' weeks of history before the run''s week, '
            || CAST(:min_history_weeks AS VARCHAR) || ' needed'
        WHEN h.lowest = h.highest THEN
            'the weekly average kudos of the history never vary (standard deviation 0)'
        ELSE
            'average kudos ' || CAST(CAST(r.average_kudos AS DECIMAL(12, 2)) AS VARCHAR)
            || ' in the run''s week; ' || CAST(h.weeks AS VARCHAR)
            || ' earlier weeks with activities: mean '
            || CAST(CAST(h.mean AS DECIMAL(12, 2)) AS VARCHAR) || ', standard deviation '
            || CAST(CAST(h.deviation AS DECIMAL(12, 2)) AS VARCHAR)
    END AS note
FROM run_week AS r
CROSS JOIN history AS h;
