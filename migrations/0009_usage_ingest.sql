-- Cheaper usage ingest. Every shipped event pays one b-tree insert per index on usage_events; the
-- per-key index served no query (every read of raw events filters by organization first and uses
-- usage_events_org_time_idx, with the key as a filter), so it goes.
DROP INDEX IF EXISTS usage_events_key_time_idx;
