-- 0003_usage: raw metered calls (usage_events, monthly range partitions) and aggregates (usage_rollups).

-- ---------------------------------------------------------------------------------------------
-- usage_events: one row per metered call, written in batches from the local spool.
-- Exactly once: event_id is generated when the call is spooled (before the response is sent)
-- and (event_id, occurred_at) is the primary key; replays use
--   INSERT ... ON CONFLICT (event_id, occurred_at) DO NOTHING RETURNING ...
-- and add only the RETURNING rows to usage_rollups, in the same transaction.
-- Partitions are whole UTC months named usage_events_pYYYYMM plus usage_events_default
-- (catches anything without a partition yet). No foreign keys, deliberately: this is an
-- append-only log ingested at high rate whose partitions are dropped after the retention period;
-- organization_id / api_key_id are plain ids (keys are never hard-deleted anyway).
-- ---------------------------------------------------------------------------------------------
CREATE TABLE usage_events (
  event_id          uuid NOT NULL,
  occurred_at       timestamptz NOT NULL,
  organization_id   uuid NOT NULL,
  api_key_id        uuid NOT NULL,
  api_endpoint_id   uuid,                                   -- catalog entry for gateway calls
  source            text NOT NULL CHECK (source IN ('gateway', 'verify')),
  method            text NOT NULL DEFAULT '' CHECK (length(method) <= 16),
  endpoint          text NOT NULL DEFAULT '' CHECK (length(endpoint) <= 512), -- route pattern / verify "endpoint"
  status_code       smallint NOT NULL CHECK (status_code BETWEEN 0 AND 999),
  -- Decision of the shared engine; rejected calls may be recorded with cost 0 for analytics.
  code              text NOT NULL DEFAULT 'VALID' CHECK (code IN
                      ('VALID', 'REVOKED', 'EXPIRED', 'DISABLED', 'RATE_LIMITED', 'USAGE_EXCEEDED', 'PAYMENT_REQUIRED')),
  cost              bigint NOT NULL DEFAULT 1 CHECK (cost >= 0),                -- units counted against quota
  latency_us        bigint NOT NULL DEFAULT 0 CHECK (latency_us >= 0),
  request_bytes     bigint NOT NULL DEFAULT 0 CHECK (request_bytes >= 0),
  response_bytes    bigint NOT NULL DEFAULT 0 CHECK (response_bytes >= 0),
  client_ip         inet,
  user_agent        text CHECK (user_agent IS NULL OR length(user_agent) <= 1024),
  request_id        text CHECK (request_id IS NULL OR length(request_id) <= 200),
  ingested_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (event_id, occurred_at)
) PARTITION BY RANGE (occurred_at);

CREATE TABLE usage_events_default PARTITION OF usage_events DEFAULT;

-- Detailed listing with cursor pagination: WHERE organization_id = $1 AND (occurred_at, event_id) < ($2, $3)
-- ORDER BY occurred_at DESC, event_id DESC.
CREATE INDEX usage_events_org_time_idx ON usage_events (organization_id, occurred_at DESC, event_id DESC);
CREATE INDEX usage_events_key_time_idx ON usage_events (api_key_id, occurred_at DESC);

-- Creates the monthly partitions [from_month, from_month + months) idempotently; returns how many
-- it created. Rows already sitting in usage_events_default for a new month are moved into the new
-- partition. Serialized by an advisory lock, so concurrent callers are safe. Call it from a
-- periodic job (e.g. daily: SELECT ensure_usage_partitions(current_date, 3)).
CREATE OR REPLACE FUNCTION ensure_usage_partitions(from_month date, months integer DEFAULT 3)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  i        integer;
  m_start  date;
  lo       timestamptz;
  hi       timestamptz;
  part     text;
  created  integer := 0;
BEGIN
  IF from_month IS NULL OR months IS NULL OR months < 0 OR months > 120 THEN
    RAISE EXCEPTION 'ensure_usage_partitions: invalid arguments (%, %)', from_month, months;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('tollgate.usage_events.partitions'));
  FOR i IN 0 .. months - 1 LOOP
    m_start := (date_trunc('month', from_month::timestamp) + make_interval(months => i))::date;
    part    := 'usage_events_p' || to_char(m_start, 'YYYYMM');
    lo      := m_start::timestamp AT TIME ZONE 'UTC';
    hi      := (m_start + interval '1 month')::timestamp AT TIME ZONE 'UTC';
    CONTINUE WHEN to_regclass(quote_ident(part)) IS NOT NULL;
    IF EXISTS (SELECT 1 FROM usage_events_default WHERE occurred_at >= lo AND occurred_at < hi) THEN
      EXECUTE format('CREATE TABLE %I (LIKE usage_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
      EXECUTE format('WITH moved AS (DELETE FROM usage_events_default WHERE occurred_at >= $1 AND occurred_at < $2 RETURNING *) '
                     'INSERT INTO %I SELECT * FROM moved', part) USING lo, hi;
      EXECUTE format('ALTER TABLE usage_events ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
    ELSE
      EXECUTE format('CREATE TABLE %I PARTITION OF usage_events FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
    END IF;
    created := created + 1;
  END LOOP;
  RETURN created;
END
$$;

-- Retention: drops every monthly partition that ends on or before the start of before_month
-- (UTC) and deletes older rows from the default partition. Rollups are kept. Returns the number
-- of partitions dropped.
CREATE OR REPLACE FUNCTION drop_usage_partitions_before(before_month date)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  cutoff   timestamptz;
  r        record;
  dropped  integer := 0;
BEGIN
  IF before_month IS NULL THEN
    RAISE EXCEPTION 'drop_usage_partitions_before: before_month is NULL';
  END IF;
  cutoff := date_trunc('month', before_month::timestamp) AT TIME ZONE 'UTC';
  PERFORM pg_advisory_xact_lock(hashtext('tollgate.usage_events.partitions'));
  FOR r IN
    SELECT c.relname
    FROM pg_inherits inh
    JOIN pg_class c ON c.oid = inh.inhrelid
    WHERE inh.inhparent = 'usage_events'::regclass
      AND c.relname ~ '^usage_events_p[0-9]{6}$'
      AND (to_date(substr(c.relname, 15, 6), 'YYYYMM') + interval '1 month')::timestamp AT TIME ZONE 'UTC' <= cutoff
    ORDER BY c.relname
  LOOP
    EXECUTE format('DROP TABLE %I', r.relname);
    dropped := dropped + 1;
  END LOOP;
  DELETE FROM usage_events_default WHERE occurred_at < cutoff;
  RETURN dropped;
END
$$;

-- ---------------------------------------------------------------------------------------------
-- Latency histogram helpers. Fixed bucket upper bounds in microseconds (exclusive):
--   100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
--   1000000, 2500000, 5000000, 10000000, +Inf                       -> 17 buckets
-- A histogram is a bigint[17] of non-cumulative counts; bucket k (1-based) holds latencies in
-- [edge[k-1], edge[k]).
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION usage_latency_edges() RETURNS bigint[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT ARRAY[100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
               1000000, 2500000, 5000000, 10000000]::bigint[]
$$;

CREATE OR REPLACE FUNCTION usage_latency_bucket(latency_us bigint) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT width_bucket(latency_us, usage_latency_edges()) + 1
$$;

CREATE OR REPLACE FUNCTION usage_hist_empty() RETURNS bigint[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT array_fill(0::bigint, ARRAY[17])
$$;

-- Element-wise sum of two histograms (NULL counts as empty).
CREATE OR REPLACE FUNCTION usage_hist_add(a bigint[], b bigint[]) RETURNS bigint[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  k integer;
BEGIN
  IF a IS NULL THEN RETURN b; END IF;
  IF b IS NULL THEN RETURN a; END IF;
  FOR k IN 1 .. 17 LOOP
    a[k] := coalesce(a[k], 0) + coalesce(b[k], 0);
  END LOOP;
  RETURN a;
END
$$;

CREATE OR REPLACE FUNCTION usage_hist_accum(state bigint[], latency_us bigint) RETURNS bigint[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  k integer;
BEGIN
  IF latency_us IS NULL THEN RETURN state; END IF;
  k := width_bucket(latency_us, usage_latency_edges()) + 1;
  state[k] := state[k] + 1;
  RETURN state;
END
$$;

-- usage_latency_hist(latency_us): histogram of a set of latencies (for building rollups).
CREATE AGGREGATE usage_latency_hist(bigint) (
  SFUNC = usage_hist_accum,
  STYPE = bigint[],
  INITCOND = '{0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0}',
  COMBINEFUNC = usage_hist_add,
  PARALLEL = SAFE
);

-- usage_hist_sum(hist): element-wise sum of histograms (for summaries over rollups).
CREATE AGGREGATE usage_hist_sum(bigint[]) (
  SFUNC = usage_hist_add,
  STYPE = bigint[],
  COMBINEFUNC = usage_hist_add,
  PARALLEL = SAFE
);

-- Estimated percentile (p in [0,1]) in microseconds from a histogram, interpolating linearly
-- inside the bucket; the open last bucket reports its lower bound (10 s). NULL for an empty histogram.
CREATE OR REPLACE FUNCTION usage_hist_percentile(hist bigint[], p double precision) RETURNS bigint
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  edges   bigint[] := usage_latency_edges();
  total   numeric := 0;
  target  numeric;
  seen    numeric := 0;
  k       integer;
  lo      numeric;
  hi      numeric;
  c       numeric;
BEGIN
  IF hist IS NULL OR p IS NULL THEN RETURN NULL; END IF;
  FOR k IN 1 .. 17 LOOP total := total + coalesce(hist[k], 0); END LOOP;
  IF total = 0 THEN RETURN NULL; END IF;
  target := greatest(least(p, 1), 0) * total;
  FOR k IN 1 .. 17 LOOP
    c := coalesce(hist[k], 0);
    IF c > 0 AND seen + c >= target THEN
      lo := CASE WHEN k = 1 THEN 0 ELSE edges[k - 1] END;
      IF k = 17 THEN RETURN lo::bigint; END IF;
      hi := edges[k];
      RETURN round(lo + (hi - lo) * greatest(target - seen, 0) / c)::bigint;
    END IF;
    seen := seen + c;
  END LOOP;
  RETURN edges[16];
END
$$;

-- ---------------------------------------------------------------------------------------------
-- usage_rollups: hour and day buckets (UTC) per organization x key x method x endpoint.
-- Maintained in the same transaction as the usage_events shipment, from the rows actually
-- inserted, with INSERT ... ON CONFLICT (bucket, bucket_start, organization_id, api_key_id,
-- method, endpoint) DO UPDATE SET requests = usage_rollups.requests + EXCLUDED.requests, ...,
-- latency_hist = usage_hist_add(usage_rollups.latency_hist, EXCLUDED.latency_hist).
-- Definitions: requests = events; errors = status_code >= 400; server_errors = status_code >= 500;
-- rejected = code <> 'VALID'; cost_units = sum(cost) (what quotas and overage bill).
-- ---------------------------------------------------------------------------------------------
CREATE TABLE usage_rollups (
  bucket            text NOT NULL CHECK (bucket IN ('hour', 'day')),
  bucket_start      timestamptz NOT NULL,
  organization_id   uuid NOT NULL REFERENCES organizations (id) ON DELETE RESTRICT,
  api_key_id        uuid NOT NULL REFERENCES api_keys (id) ON DELETE RESTRICT,
  method            text NOT NULL DEFAULT '',
  endpoint          text NOT NULL DEFAULT '',
  requests          bigint NOT NULL DEFAULT 0 CHECK (requests >= 0),
  errors            bigint NOT NULL DEFAULT 0 CHECK (errors >= 0),
  server_errors     bigint NOT NULL DEFAULT 0 CHECK (server_errors >= 0),
  rejected          bigint NOT NULL DEFAULT 0 CHECK (rejected >= 0),
  cost_units        bigint NOT NULL DEFAULT 0 CHECK (cost_units >= 0),
  request_bytes     bigint NOT NULL DEFAULT 0 CHECK (request_bytes >= 0),
  response_bytes    bigint NOT NULL DEFAULT 0 CHECK (response_bytes >= 0),
  latency_sum_us    bigint NOT NULL DEFAULT 0 CHECK (latency_sum_us >= 0),
  latency_max_us    bigint NOT NULL DEFAULT 0 CHECK (latency_max_us >= 0),
  latency_hist      bigint[] NOT NULL DEFAULT usage_hist_empty() CHECK (cardinality(latency_hist) = 17),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (bucket, bucket_start, organization_id, api_key_id, method, endpoint),
  CONSTRAINT usage_rollups_bucket_aligned CHECK (
    bucket_start = date_trunc(bucket, bucket_start, 'UTC'))
);
CREATE INDEX usage_rollups_org_idx ON usage_rollups (organization_id, bucket, bucket_start);
CREATE INDEX usage_rollups_key_idx ON usage_rollups (api_key_id, bucket, bucket_start);
CREATE TRIGGER usage_rollups_set_updated_at BEFORE UPDATE ON usage_rollups
  FOR EACH ROW EXECUTE FUNCTION tg_set_updated_at();

-- Partitions for the current UTC month and the next two.
SELECT ensure_usage_partitions((now() AT TIME ZONE 'UTC')::date, 3);
