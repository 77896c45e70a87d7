-- How many activities production holds (the run's summary, after a load).
SELECT COUNT(*) FROM {production_table};
