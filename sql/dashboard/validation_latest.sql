-- Validation outcomes up to the run date, the latest attempt only: for each run date and check,
-- the row with the newest checked_at (a rerun of a date replaces its earlier failed attempt, as
-- python -m pipeline.status reads it). Read-only.
SELECT v.run_date, v.check_name, v.status, v.severity, v.left_value, v.operator,
       v.right_value, v.message, v.checked_at
FROM {validation_table} v
WHERE v.run_date <= :run_date
  AND (:athlete_id = 0 OR v.athlete_id = :athlete_id OR v.athlete_id IS NULL)
  AND v.checked_at = (
      SELECT MAX(w.checked_at)
      FROM {validation_table} w
      WHERE w.run_date = v.run_date AND w.check_name = v.check_name
        AND (w.athlete_id = v.athlete_id OR (w.athlete_id IS NULL AND v.athlete_id IS NULL))
  )
ORDER BY v.run_date, v.check_name
