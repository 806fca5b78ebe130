#!/usr/bin/env bash
# bench/verify.sh TOLLGATE_BIN
#
# POST /v1/keys/verify with a valid key, with Redis (shared rate limiter) and without (in-process limiter), and
# writes the "verify" section of bench/RESULTS.md (between the verify markers; the rest of the file is kept).
# Target (issue 4): >= 25,000 req/s and p99 <= 2 ms at 32 connections on a 2-core box, wrk on the same box.
#
# Needs BENCH_DATABASE_URL (an admin URL of a PostgreSQL cluster; a throwaway database is created in it) and,
# for the Redis run, redis-server in PATH. Knobs: BENCH_DURATION (10s), BENCH_CONNECTIONS (32), BENCH_THREADS
# (server I/O threads, default: cores), BENCH_WRK_THREADS (2).
set -euo pipefail
[[ $# -eq 1 && -x $1 ]] || { echo "usage: $0 TOLLGATE_BIN" >&2; exit 2; }
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
: "${BENCH_DATABASE_URL:?set BENCH_DATABASE_URL to a PostgreSQL admin URL}"
DUR=${BENCH_DURATION:-10s}
CONNS=${BENCH_CONNECTIONS:-32}
WRK_THREADS=${BENCH_WRK_THREADS:-2}
THREADS=${BENCH_THREADS:-$(nproc)}
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$SCRIPT_DIR/lib.sh"
RESULTS=${BENCH_RESULTS:-$SCRIPT_DIR/RESULTS.md}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

db="tg_bench_$$"
psql "$BENCH_DATABASE_URL" -qc "CREATE DATABASE $db" >/dev/null
dburl="${BENCH_DATABASE_URL%/*}/$db"
trap 'cleanup; psql "$BENCH_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true' EXIT

run_case() {  # $1 label, $2 redis url or ""
  local label=$1 redis=$2 port
  port=$(free_port)
  env -i PATH="$PATH" HOME="$HOME" DATABASE_URL="$dburl" REDIS_URL="$redis" PORT="$port" HOST=127.0.0.1 \
    THREADS="$THREADS" TOLLGATE_ENV=test VAR_DIR="$work/var-$label" WEB_DIR=/nonexistent LOG_LEVEL=warn \
    JWT_SECRET=bench-secret-bench-secret-bench-secret-bench RATE_LIMIT_IP_MAX=100000000 \
    "$BIN" serve >"$work/server-$label.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
  local base="http://127.0.0.1:$port" email="bench-$label@example.com" at secret token
  at=$(curl -sf -XPOST "$base/api/auth/register" -H 'content-type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"vivid-otter-42-lamp\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["accessToken"])')
  # A plan with room for the whole run: business (5M included, allow_overage) and a per-key limit far above it.
  psql "$dburl" -qc "INSERT INTO subscriptions (organization_id, plan_id, status, current_period_start, current_period_end)
    SELECT o.id, p.id, 'active', now() - interval '1 day', now() + interval '29 days' FROM organizations o
    JOIN users u ON u.id = o.owner_user_id, plans p WHERE u.email = '$email' AND p.slug = 'business'" >/dev/null
  secret=$(curl -sf -XPOST "$base/api/user/api-keys" -H "authorization: Bearer $at" -H 'content-type: application/json' \
    -d '{"name":"bench","rateLimitPerMinute":1000000}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')
  token=$(DATABASE_URL="$dburl" "$BIN" service-token create --name "bench-$label" | tail -1)
  cat >"$work/verify.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"key":"$secret","endpoint":"/v1/bench","method":"GET"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
LUA
  wrk -t"$WRK_THREADS" -c"$CONNS" -d2s -s "$work/verify.lua" "$base/v1/keys/verify" >/dev/null  # warm-up
  wrk -t"$WRK_THREADS" -c"$CONNS" -d"$DUR" --latency -s "$work/verify.lua" "$base/v1/keys/verify" >"$work/wrk-$label.txt"
  local rps p99 valid
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk-$label.txt")
  p99=$(awk '$1=="99%" {print $2}' "$work/wrk-$label.txt")
  valid=$(curl -s -XPOST "$base/v1/keys/verify" -H "authorization: Bearer $token" -H 'content-type: application/json' \
    -d "{\"key\":\"$secret\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["code"])')
  echo "| $label | $rps | $p99 | $valid |" >>"$work/rows.md"
  echo "$label: $rps req/s, p99 $p99 (last answer: $valid)"
  kill "${pids[-1]}" 2>/dev/null || true
  wait "${pids[-1]}" 2>/dev/null || true
}

: >"$work/rows.md"
run_case "no-redis" ""
if command -v redis-server >/dev/null; then
  rport=$(free_port)
  redis-server --port "$rport" --save '' --appendonly no >/dev/null 2>&1 &
  pids+=($!)
  sleep 0.5
  run_case "redis" "redis://127.0.0.1:$rport"
fi

section=$(cat <<MD
<!-- verify:begin -->
## POST /v1/keys/verify (valid key, metered)

$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, server threads $THREADS, wrk -t$WRK_THREADS -c$CONNS -d$DUR on the same box.
Every call is a full decision: service token, key cache, rate limit, quota, and a spool write before the answer.
Target: >= 25,000 req/s and p99 <= 2 ms at 32 connections.

| limiter store | req/s | p99 | answer |
|---|---|---|---|
$(cat "$work/rows.md")
<!-- verify:end -->
MD
)
write_section "$RESULTS" verify "$section"
echo "wrote $RESULTS"
