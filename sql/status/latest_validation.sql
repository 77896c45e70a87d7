-- The latest outcome of every validation check of one run date (a rerun adds newer rows).
SELECT v.check_name, v.status, v.severity, v.left_value, v.operator, v.right_value, v.message,
       v.checked_at
FROM {validation_table} v
WHERE v.run_date = :run_date
  AND v.checked_at = (
      SELECT MAX(w.checked_at)
      FROM {validation_table} w
      WHERE w.run_date = v.run_date AND w.check_name = v.check_name
  )
ORDER BY v.check_name;
