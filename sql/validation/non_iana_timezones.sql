-- How many activities in the run date's staging table have a time zone that is not an IANA
-- name (e.g. 'Mars/Olympus_Mons'). ValidateStaging counts them against Python's tz database
-- and binds the count (SQL warehouses share no list of zone names); the zones are stored as
-- received and named in the log. Run by hand the value is NULL and the check is skipped.
SELECT
    CAST(:non_iana_timezones AS INTEGER) AS non_iana_timezones,
    CASE WHEN CAST(:non_iana_timezones AS INTEGER) > 0
        THEN 'time zones that are not IANA names are stored as received, see the log'
    END AS note;
