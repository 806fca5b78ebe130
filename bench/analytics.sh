#!/usr/bin/env bash
# bench/analytics.sh TOLLGATE_BIN
#
# GET /api/admin/analytics on an install with 1,000,000 users and 10,000,000 metered calls, and writes the
# "analytics" section of bench/RESULTS.md. Target (issue 6): <= 100 ms.
# Seeded: 1,000,000 users over a year, 1,000,000 sign-ins in the audit log, 10,000 organizations with a key each,
# 5,000 of them on a paid plan with six paid invoices, and the day rollups the usage shipper writes for 10,000,000
# calls over 90 days (the analytics read the day buckets only). The server backfills its analytics rollups at start
# (timed too), then 20 sequential requests per range are timed (curl time_total, after 3 warm-up requests).
# Needs BENCH_DATABASE_URL (PostgreSQL admin URL; a throwaway database is created).
set -euo pipefail
[[ $# -eq 1 && -x $1 ]] || { echo "usage: $0 TOLLGATE_BIN" >&2; exit 2; }
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
: "${BENCH_DATABASE_URL:?set BENCH_DATABASE_URL to a PostgreSQL admin URL}"
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$SCRIPT_DIR/lib.sh"
RESULTS=${BENCH_RESULTS:-$SCRIPT_DIR/RESULTS.md}
work=$(mktemp -d)
db="tg_bench_analytics_$$"
pid=""
cleanup() {
  [[ -n $pid ]] && kill "$pid" 2>/dev/null || true
  rm -rf "$work"
  # BENCH_KEEP=1 keeps the seeded database (to EXPLAIN the queries); it is printed at the end.
  if [[ -n ${BENCH_KEEP:-} ]]; then echo "kept database: ${BENCH_DATABASE_URL%/*}/$db"; return; fi
  psql "$BENCH_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
psql "$BENCH_DATABASE_URL" -qc "CREATE DATABASE $db" >/dev/null
dburl="${BENCH_DATABASE_URL%/*}/$db"
env -i PATH="$PATH" HOME="$HOME" DATABASE_URL="$dburl" "$BIN" migrate >/dev/null

echo "seeding 1,000,000 users, 1,000,000 sign-ins, 10,000 organizations, 10,000,000 calls..."
seed_start=$(date +%s)
psql "$dburl" -q <<'SQL'
SET synchronous_commit = off;
INSERT INTO users (email, password_hash, email_verified_at, created_at)
SELECT 'bench-' || i || '@example.com', '$argon2id$v=19$m=65536,t=2,p=1$YmVuY2g$YmVuY2g', now(),
       now() - (i % 365) * interval '1 day' - (i % 86400) * interval '1 second'
FROM generate_series(1, 1000000) i;
INSERT INTO audit_log (created_at, actor_type, actor_user_id, action)
SELECT now() - (i % 365) * interval '1 day' - (i % 3600) * interval '1 second', 'user', NULL, 'auth.login.succeeded'
FROM generate_series(1, 1000000) i;
INSERT INTO organizations (name, personal, owner_user_id)
SELECT 'Org ' || u.n, true, u.id FROM (SELECT id, row_number() OVER (ORDER BY email) AS n FROM users
                                        WHERE email LIKE 'bench-%' ORDER BY email LIMIT 10000) u;
INSERT INTO api_keys (organization_id, name, environment, prefix, key_hash)
SELECT o.id, 'bench', 'live', 'tg_live_' || substr(md5(o.id::text), 1, 8), sha256(o.id::text::bytea)
FROM organizations o WHERE o.name LIKE 'Org %';
-- 5,000 paying organizations on the first paid plan, each with six paid monthly invoices.
INSERT INTO subscriptions (organization_id, plan_id, status, source, current_period_start, current_period_end)
SELECT o.id, (SELECT id FROM plans WHERE price_monthly_minor > 0 ORDER BY price_monthly_minor LIMIT 1), 'active',
       'local', date_trunc('month', now()), date_trunc('month', now()) + interval '1 month'
FROM (SELECT id FROM organizations WHERE name LIKE 'Org %' ORDER BY id LIMIT 5000) o;
INSERT INTO billing_records (organization_id, source, number, status, currency, period_start, period_end,
                             total_minor, amount_due_minor, amount_paid_minor, paid_at)
SELECT s.organization_id, 'local', 'TG-BENCH-' || row_number() OVER (), 'paid', 'USD',
       date_trunc('month', now()) - m * interval '1 month', date_trunc('month', now()) - (m - 1) * interval '1 month',
       2900, 2900, 2900, date_trunc('month', now()) - (m - 1) * interval '1 month' + interval '1 hour'
FROM subscriptions s CROSS JOIN generate_series(1, 6) m;
-- 10,000,000 calls: each organization active on about half of the last 90 days, two endpoints a day; the requests
-- per row are scaled below so that they add up to exactly 10,000,000.
CREATE TEMP TABLE r AS
SELECT date_trunc('day', now(), 'UTC') - d * interval '1 day' AS day, k.organization_id AS org, k.id AS key,
       e AS endpoint
FROM api_keys k CROSS JOIN generate_series(0, 89) d CROSS JOIN (VALUES ('/echo/*'), ('/weather/{city}')) v(e)
WHERE (hashtext(k.id::text || d) & 1) = 0;
INSERT INTO usage_rollups (bucket, bucket_start, organization_id, api_key_id, method, endpoint, requests, errors,
                           server_errors, rejected, rate_limited, quota_rejected, cost_units, latency_sum_us,
                           latency_max_us, latency_hist)
SELECT 'day', r.day, r.org, r.key, 'GET', r.endpoint, q.n, q.n / 50, q.n / 200, q.n / 100, q.n / 150, q.n / 300, q.n,
       q.n * 1500, 9000, '{0,0,0,5,20,20,15,5,3,1,1,0,0,0,0,0,0}'
FROM (SELECT r.*, row_number() OVER () AS rn, count(*) OVER () AS total FROM r) r,
     LATERAL (SELECT (10000000 / r.total + CASE WHEN r.rn <= 10000000 % r.total THEN 1 ELSE 0 END)::bigint AS n) q;
ANALYZE;
SQL
seed_s=$(( $(date +%s) - seed_start ))
calls=$(psql "$dburl" -tAc "SELECT sum(requests) FROM usage_rollups WHERE bucket = 'day'")
rows=$(psql "$dburl" -tAc "SELECT count(*) FROM usage_rollups WHERE bucket = 'day'")
users=$(psql "$dburl" -tAc "SELECT count(*) FROM users")
echo "seeded in ${seed_s}s: $users users, $calls calls in $rows day rollup rows"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
env -i PATH="$PATH" HOME="$HOME" DATABASE_URL="$dburl" PORT="$port" HOST=127.0.0.1 TOLLGATE_ENV=test \
  VAR_DIR="$work/var" WEB_DIR=/nonexistent LOG_LEVEL=warn JWT_SECRET=bench-secret-bench-secret-bench-secret-bench \
  RATE_LIMIT_IP_MAX=100000000 RATE_LIMIT_USER_MAX=100000000 BILLING_JOB_INTERVAL_SECONDS=3600 \
  "$BIN" serve >"$work/server.log" 2>&1 &
pid=$!
started=$(date +%s.%N)
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
base="http://127.0.0.1:$port"
# The backfill runs 3 s after start; wait for its cursor.
for _ in $(seq 1 600); do
  [[ -n $(psql "$dburl" -tAc "SELECT 1 FROM job_cursors WHERE name = 'analytics.backfill'") ]] && break
  sleep 0.5
done
backfill_s=$(python3 -c "import time; print(round(time.time() - $started - 3, 1))")
reg=$(curl -sf -XPOST "$base/api/auth/register" -H 'content-type: application/json' \
  -d '{"email":"bench-admin@example.com","password":"vivid-otter-42-lamp"}')
at=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["accessToken"])' "$reg")
# An administrator whose session proved 2FA (set directly: the benchmark measures the read, not the sign-in).
psql "$dburl" -qc "UPDATE users SET role = 'ADMIN', totp_secret_enc = '\\x00'::bytea, totp_enabled_at = now()
                   WHERE email = 'bench-admin@example.com';
                   UPDATE sessions SET mfa_verified_at = now() WHERE user_id =
                     (SELECT id FROM users WHERE email = 'bench-admin@example.com')"
curl -sf "$base/api/admin/analytics" -H "authorization: Bearer $at" >"$work/sample.json"
python3 - "$work/sample.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
t = a["totals"]
print(f"30 days: signups {t['signups']}, logins {t['logins']}, requests {t['requests']}, "
      f"paying {a['payingOrganizations']}, mrr {a['mrr']}, users {a['usersTotal']}")
PY
measure() {  # path → "median worst" in ms
  for _ in 1 2 3; do curl -sf -o /dev/null "$base$1" -H "authorization: Bearer $at"; done
  for _ in $(seq 1 20); do
    curl -sf -o /dev/null -w '%{time_total}\n' "$base$1" -H "authorization: Bearer $at"
  done | sort -n | awk '{a[NR]=$1*1000} END {printf "%.1f %.1f\n", (a[10]+a[11])/2, a[NR]}'
}
today=$(date -u +%F)
read -r m30 w30 < <(measure "/api/admin/analytics")
read -r m90 w90 < <(measure "/api/admin/analytics?from=$(date -u -d '-89 days' +%F)&to=$today")
read -r m366 w366 < <(measure "/api/admin/analytics?from=$(date -u -d '-365 days' +%F)&to=$today")
verdict=PASS
for v in $m30 $m90 $m366; do
  awk -v v="$v" 'BEGIN { exit !(v > 100) }' && verdict=FAIL
done
section=$(cat <<EOF
<!-- analytics:begin -->
## GET /api/admin/analytics at 1,000,000 users and 10,000,000 calls

$(date -u +%FT%RZ), $(nproc) cores. $users users (created over a year), 1,000,000 sign-ins in the audit log, 10,000
organizations (5,000 paying, six paid invoices each), $calls calls as $rows day rollup rows over 90 days (the
analytics read day buckets only). Seeded in ${seed_s} s; the server's one-time analytics backfill (400 days) took
about ${backfill_s} s. Answers come from the analytics rollups; 20 sequential requests per range through HTTP
(curl time_total, including the round trip and JSON), after 3 warm-up requests.

| range | median | worst of 20 | target | verdict |
|---|---|---|---|---|
| 30 days (default) | ${m30} ms | ${w30} ms | <= 100 ms | $( awk -v v="$m30" 'BEGIN { print (v <= 100) ? "PASS" : "FAIL" }') |
| 90 days | ${m90} ms | ${w90} ms | <= 100 ms | $( awk -v v="$m90" 'BEGIN { print (v <= 100) ? "PASS" : "FAIL" }') |
| 366 days | ${m366} ms | ${w366} ms | <= 100 ms | $( awk -v v="$m366" 'BEGIN { print (v <= 100) ? "PASS" : "FAIL" }') |

Verdict on the medians: **$verdict**.
<!-- analytics:end -->
EOF
)
write_section "$RESULTS" analytics "$section"
echo "$section"
