-- The week of an activity, named by its Monday: the local Monday-to-Sunday week of
-- start_date_local (the athlete's wall clock, never UTC). The one week of every mart, check and
-- dashboard panel; pipeline/run_dates.py (week_start, run_week) says the same in Python.
-- An expression over a column named start_date_local.
CAST(DATE_TRUNC('week', start_date_local) AS DATE)
