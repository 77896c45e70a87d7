-- The newest activity start that is safely in production, up to the run's upper bound.
SELECT MAX(start_date) FROM {production_table}
WHERE start_date < :upper_bound;
