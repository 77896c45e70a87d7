-- Production as it will be after this load: the run date's staging rows plus the production rows
-- that staging does not replace (the merge upserts by id). The validation checks of the run's
-- week and its history include it as the fragment activities_after_this_load. A private
-- activity's kudos_count is NULL (sql/fragments/kudos_possible.sql): no kudos aggregate counts it.
SELECT s.id, s.start_date_local,
       CASE WHEN {{ fragment('kudos_possible') }} THEN s.kudos_count END AS kudos_count
FROM {staging_table} AS s
UNION ALL
SELECT p.id, p.start_date_local,
       CASE WHEN {{ fragment('kudos_possible') }} THEN p.kudos_count END AS kudos_count
FROM {production_table} AS p
WHERE NOT EXISTS (SELECT 1 FROM {staging_table} AS r WHERE r.id = p.id)
