-- Run dates that have validation results.
SELECT DISTINCT run_date
FROM {validation_table};
