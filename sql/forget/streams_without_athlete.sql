-- After one athlete was forgotten: the stream samples no athlete_id, production row or archive
-- marker attributes to anyone, which a forget of one athlete keeps (pipeline/forget_athlete.py).
SELECT COUNT(*) FROM activity_streams WHERE athlete_id IS NULL;
