-- How many activities of the run date's extract could not be parsed (no id, a start date that
-- is not ISO 8601, a field of the wrong type). They are not in staging: ExtractActivities keeps
-- each with its reason and raw JSON in the lake (strava/unparseable/YYYY-MM-DD/activities.json).
-- ValidateStaging binds the count; run by hand the value is NULL and the check is skipped.
SELECT
    CAST(:unparseable_activities AS INTEGER) AS unparseable_activities,
    CASE WHEN CAST(:unparseable_activities AS INTEGER) > 0
        THEN 'kept with their raw JSON in the lake under strava/unparseable/'
    END AS note;
