#!/usr/bin/env bash
# bench/usage_summary.sh TOLLGATE_BIN
#
# GET /api/user/usage/summary over 30 days for an organization with 10,000,000 metered calls, and writes the
# "usage-summary" section of bench/RESULTS.md. Target (issue 4): <= 50 ms.
# The summary is served from the rollups, so the calls are seeded as the rollups the shipper would have written
# for them (30 days x 24 hours x 20 keys x 10 endpoints = 144,000 hour rows summing to 10,000,000 requests, plus
# their day rows), not as raw events. Needs BENCH_DATABASE_URL (PostgreSQL admin URL; a throwaway database is created).
set -euo pipefail
[[ $# -eq 1 && -x $1 ]] || { echo "usage: $0 TOLLGATE_BIN" >&2; exit 2; }
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
: "${BENCH_DATABASE_URL:?set BENCH_DATABASE_URL to a PostgreSQL admin URL}"
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$SCRIPT_DIR/lib.sh"
RESULTS=${BENCH_RESULTS:-$SCRIPT_DIR/RESULTS.md}
work=$(mktemp -d)
db="tg_bench_usage_$$"
pid=""
cleanup() {
  [[ -n $pid ]] && kill "$pid" 2>/dev/null || true
  rm -rf "$work"
  psql "$BENCH_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
psql "$BENCH_DATABASE_URL" -qc "CREATE DATABASE $db" >/dev/null
dburl="${BENCH_DATABASE_URL%/*}/$db"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
env -i PATH="$PATH" HOME="$HOME" DATABASE_URL="$dburl" PORT="$port" HOST=127.0.0.1 TOLLGATE_ENV=test \
  VAR_DIR="$work/var" WEB_DIR=/nonexistent LOG_LEVEL=warn JWT_SECRET=bench-secret-bench-secret-bench-secret-bench \
  RATE_LIMIT_IP_MAX=100000000 RATE_LIMIT_USER_MAX=100000000 "$BIN" serve >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
base="http://127.0.0.1:$port"
reg=$(curl -sf -XPOST "$base/api/auth/register" -H 'content-type: application/json' \
  -d '{"email":"bench-usage@example.com","password":"vivid-otter-42-lamp"}')
at=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["accessToken"])' "$reg")
org=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["organizationId"])' "$reg")
echo "seeding rollups for 10,000,000 calls..."
psql "$dburl" -q <<SQL
INSERT INTO api_keys (organization_id, name, environment, prefix, key_hash)
SELECT '$org', 'bench ' || i, 'live', 'tg_live_bench' || lpad(i::text, 3, '0'), sha256(('bench' || i)::bytea)
FROM generate_series(1, 20) i;
-- 144,000 hourly rows; requests per row alternate 69/70 so the total is exactly 10,000,000 (the 16 extra go to the first rows).
INSERT INTO usage_rollups (bucket, bucket_start, organization_id, api_key_id, method, endpoint, requests, errors,
                           server_errors, rejected, cost_units, latency_sum_us, latency_max_us, latency_hist)
SELECT 'hour', date_trunc('hour', now(), 'UTC') - make_interval(hours => h), '$org', k.id, 'GET', '/v1/endpoint/' || e,
       69 + (CASE WHEN (h * 200 + k.n * 10 + e) < 64000 THEN 1 ELSE 0 END), 2, 1, 0, 70, 70 * 1500, 9000,
       '{0,0,0,5,20,20,15,5,3,1,1,0,0,0,0,0,0}'
FROM generate_series(0, 719) h
CROSS JOIN (SELECT id, row_number() OVER (ORDER BY prefix) - 1 AS n FROM api_keys WHERE organization_id = '$org') k
CROSS JOIN generate_series(0, 9) e;
-- The day rollups the shipper writes alongside the hour rollups.
INSERT INTO usage_rollups (bucket, bucket_start, organization_id, api_key_id, method, endpoint, requests, errors,
                           server_errors, rejected, cost_units, latency_sum_us, latency_max_us, latency_hist)
SELECT 'day', date_trunc('day', bucket_start, 'UTC'), organization_id, api_key_id, method, endpoint, sum(requests),
       sum(errors), sum(server_errors), sum(rejected), sum(cost_units), sum(latency_sum_us), max(latency_max_us),
       usage_hist_sum(latency_hist)
FROM usage_rollups WHERE organization_id = '$org' AND bucket = 'hour' GROUP BY 1, 2, 3, 4, 5, 6;
ANALYZE usage_rollups;
SQL
total=$(psql "$dburl" -Atc "SELECT sum(requests) FROM usage_rollups WHERE organization_id = '$org' AND bucket = 'hour'")
echo "seeded: $total calls"
url="$base/api/user/usage/summary"
for _ in 1 2 3; do curl -sf "$url" -H "authorization: Bearer $at" >/dev/null; done  # warm caches, prepare statement
times=()
for _ in $(seq 1 20); do
  t=$(curl -sf -o /dev/null -w '%{time_total}' "$url" -H "authorization: Bearer $at")
  times+=("$t")
done
read -r median worst < <(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f %.1f\n", a[int((NR+1)/2)]*1000, a[NR]*1000}')
answer=$(curl -sf "$url" -H "authorization: Bearer $at" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["requests"], d["latencyP95Ms"])')
echo "summary: median ${median} ms, worst ${worst} ms (answer: requests p95 = $answer)"
verdict=PASS
awk -v m="$median" 'BEGIN {exit !(m <= 50)}' || verdict=FAIL
section=$(cat <<MD
<!-- usage-summary:begin -->
## GET /api/user/usage/summary over 10,000,000 calls

$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores. 30 days, 20 keys, 10 endpoints: 144,000 hour rollup rows (and their
day rows) summing to $total calls (seeded as rollups; the summary never reads raw events: whole days come from
the day rows, the ragged hours at both ends from the hour rows). 20 sequential requests through HTTP
(curl time_total, so including the round trip and JSON), after 3 warm-up requests.

| median | worst of 20 | target | verdict |
|---|---|---|---|
| ${median} ms | ${worst} ms | <= 50 ms | $verdict |
<!-- usage-summary:end -->
MD
)
write_section "$RESULTS" usage-summary "$section"
echo "wrote $RESULTS"
