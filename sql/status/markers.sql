-- Every finished stage: marker rows are named 'TaskFamily(YYYY-MM-DD)'.
SELECT update_id, target_table, inserted
FROM {marker_table};
