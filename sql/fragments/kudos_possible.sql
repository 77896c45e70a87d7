-- Whether an activity can get kudos: it is not private (Strava's private flag, or visibility
-- 'only_me'). A private activity is left out of every kudos aggregate: stg_activities gives it
-- a NULL kudos_count, and the kudos checks leave it out. pipeline/kudos/features.py
-- (kudos_possible) says the same in Python. A condition over the columns private and visibility.
(private IS NOT TRUE AND COALESCE(visibility, 'everyone') <> 'only_me')
