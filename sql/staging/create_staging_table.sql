-- An empty staging table with production's columns and types but none of its constraints,
-- so that a bad extract (duplicate ids, NULL keys) lands and the validation checks can see it.
CREATE TABLE {staging_table} AS
SELECT * FROM {production_table} WHERE 1 = 0;
