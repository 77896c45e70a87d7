-- Rows of the run date's staging table with a measure outside its physical range. The ranges
-- (keep them equal to sql/production/merge_staging_into_production.sql, which stores such a
-- measure as NULL so that no model can overflow; docs/reliability.md lists them):
--   distance 0..10,000,000 m (10,000 km)      moving_time, elapsed_time 0..2,592,000 s (30 days)
--   total_elevation_gain 0..100,000 m         average_speed, max_speed 0..200 m/s (720 km/h)
--   lat, end_lat -90..90                      lng, end_lng -180..180
--   elev_high, elev_low -1,000..10,000 m      average_heartrate, max_heartrate 0..300 bpm
--   utc_offset -50,400..50,400 s              kudos, comment, achievement, athlete, photo and
--                                             PR counts 0..1,000,000,000
-- NaN is outside every range (NOT BETWEEN is true for it on every warehouse); NULL is not.
SELECT
    COUNT(*) AS rows_outside_physical_ranges,
    CASE WHEN COUNT(*) > 0 THEN 'for example id ' || CAST(MIN(id) AS VARCHAR)
        || '; these measures are stored as NULL' END AS note
FROM {staging_table}
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
