-- Upsert by id: staging holds the lookback window again, with fresh kudos and names.
-- Runs inside the transaction that also writes the LoadProduction marker.

-- One rule for impossible values: a measure outside its physical range (reported by the warn
-- check measures_within_physical_ranges; the ranges are listed in
-- sql/validation/staging_outside_physical_ranges.sql) is stored as NULL, the rest of the
-- activity loads, and no model can overflow on it. The lake keeps the value as received.
UPDATE {staging_table} SET
    distance = CASE WHEN distance BETWEEN 0 AND 10000000 THEN distance END,
    moving_time = CASE WHEN moving_time BETWEEN 0 AND 2592000 THEN moving_time END,
    elapsed_time = CASE WHEN elapsed_time BETWEEN 0 AND 2592000 THEN elapsed_time END,
    total_elevation_gain = CASE WHEN total_elevation_gain BETWEEN 0 AND 100000
                                THEN total_elevation_gain END,
    average_speed = CASE WHEN average_speed BETWEEN 0 AND 200 THEN average_speed END,
    max_speed = CASE WHEN max_speed BETWEEN 0 AND 200 THEN max_speed END,
    lat = CASE WHEN lat BETWEEN -90 AND 90 THEN lat END,
    end_lat = CASE WHEN end_lat BETWEEN -90 AND 90 THEN end_lat END,
    lng = CASE WHEN lng BETWEEN -180 AND 180 THEN lng END,
    end_lng = CASE WHEN end_lng BETWEEN -180 AND 180 THEN end_lng END,
    elev_high = CASE WHEN elev_high BETWEEN -1000 AND 10000 THEN elev_high END,
    elev_low = CASE WHEN elev_low BETWEEN -1000 AND 10000 THEN elev_low END,
    average_heartrate = CASE WHEN average_heartrate BETWEEN 0 AND 300 THEN average_heartrate END,
    max_heartrate = CASE WHEN max_heartrate BETWEEN 0 AND 300 THEN max_heartrate END,
    utc_offset = CASE WHEN utc_offset BETWEEN -50400 AND 50400 THEN utc_offset END,
    kudos_count = CASE WHEN kudos_count BETWEEN 0 AND 1000000000 THEN kudos_count END,
    comment_count = CASE WHEN comment_count BETWEEN 0 AND 1000000000 THEN comment_count END,
    achievement_count = CASE WHEN achievement_count BETWEEN 0 AND 1000000000
                             THEN achievement_count END,
    athlete_count = CASE WHEN athlete_count BETWEEN 0 AND 1000000000 THEN athlete_count END,
    photo_count = CASE WHEN photo_count BETWEEN 0 AND 1000000000 THEN photo_count END,
    pr_count = CASE WHEN pr_count BETWEEN 0 AND 1000000000 THEN pr_count END
WHERE NOT (distance BETWEEN 0 AND 10000000)
   OR NOT (moving_time BETWEEN 0 AND 2592000)
   OR NOT (elapsed_time BETWEEN 0 AND 2592000)
   OR NOT (total_elevation_gain BETWEEN 0 AND 100000)
   OR NOT (average_speed BETWEEN 0 AND 200)
   OR NOT (max_speed BETWEEN 0 AND 200)
   OR NOT (lat BETWEEN -90 AND 90)
   OR NOT (end_lat BETWEEN -90 AND 90)
   OR NOT (lng BETWEEN -180 AND 180)
   OR NOT (end_lng BETWEEN -180 AND 180)
   OR NOT (elev_high BETWEEN -1000 AND 10000)
   OR NOT (elev_low BETWEEN -1000 AND 10000)
   OR NOT (average_heartrate BETWEEN 0 AND 300)
   OR NOT (max_heartrate BETWEEN 0 AND 300)
   OR NOT (utc_offset BETWEEN -50400 AND 50400)
   OR NOT (kudos_count BETWEEN 0 AND 1000000000)
   OR NOT (comment_count BETWEEN 0 AND 1000000000)
   OR NOT (achievement_count BETWEEN 0 AND 1000000000)
   OR NOT (athlete_count BETWEEN 0 AND 1000000000)
   OR NOT (photo_count BETWEEN 0 AND 1000000000)
   OR NOT (pr_count BETWEEN 0 AND 1000000000);

DELETE FROM {production_table}
WHERE id IN (SELECT id FROM {staging_table});

INSERT INTO {production_table}
SELECT * FROM {staging_table};
