-- Rows written before state migration 0004 that no athlete has taken over yet.
SELECT (SELECT COUNT(*) FROM last_extracted WHERE athlete_id = 0)
     + (SELECT COUNT(*) FROM reconciliations WHERE athlete_id = 0);
