-- The two-sided 90% band of a standard normal: |z| <= 1.645.
SELECT 1.645 AS two_sided_90_percent_z;
