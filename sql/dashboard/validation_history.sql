-- Every validation outcome up to the run date, for the dashboard's validation history.
SELECT run_date, check_name, status, severity, left_value, operator, right_value, message,
       checked_at
FROM {validation_table}
WHERE run_date <= :run_date
ORDER BY run_date, checked_at, check_name
