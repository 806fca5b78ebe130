#!/usr/bin/env bash
# bench/verify.sh TOLLGATE_BIN [HELLO_BIN]
#
# POST /v1/keys/verify with a valid key, with Redis (shared rate limiter) and without (in-process limiter), and
# writes the "verify" section of bench/RESULTS.md (between the verify markers; the rest of the file is kept).
# Target (issue 4): >= 25,000 req/s and p99 <= 2 ms at 32 connections on a 2-core box, wrk on the same box.
#
# Needs BENCH_DATABASE_URL (an admin URL of a PostgreSQL cluster; a throwaway database is created in it) and,
# for the Redis run, redis-server in PATH. Knobs: BENCH_DURATION (10s), BENCH_CONNECTIONS (32), BENCH_THREADS
# (server I/O threads, default: cores), BENCH_WRK_THREADS (a list, "1 2": every store is measured with each),
# BENCH_REPEAT (3 runs per row; the row is the median).
set -euo pipefail
[[ ($# -eq 1 || $# -eq 2) && -x $1 ]] || { echo "usage: $0 TOLLGATE_BIN [HELLO_BIN]" >&2; exit 2; }
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
# With the bare Beast server (bench/hello), the same wrk settings also measure the box's floor: what a server that
# does no work at all reaches here, which bounds any p99 target.
HELLO=""
[[ $# -eq 2 ]] && HELLO=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
: "${BENCH_DATABASE_URL:?set BENCH_DATABASE_URL to a PostgreSQL admin URL}"
DUR=${BENCH_DURATION:-10s}
CONNS=${BENCH_CONNECTIONS:-32}
WRK_THREADS=${BENCH_WRK_THREADS:-1 2}
THREADS=${BENCH_THREADS:-$(nproc)}
REPEAT=${BENCH_REPEAT:-3}
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

measure_verify() {  # $1 label, $2 wrk threads, $3 base url, $4 service token, $5 key
  local label=$1 t=$2 base=$3 token=$4 secret=$5
  wrk -t"$t" -c"$CONNS" -d2s -s "$work/verify.lua" "$base/v1/keys/verify" >/dev/null  # warm-up
  # Several runs on the same server; the row is the median run by req/s (a small VM swings ±10 % between runs).
  local i rps p99 cpu
  : >"$work/runs-$label"
  for i in $(seq 1 "$REPEAT"); do
    proc_ticks >"$work/ticks-before"
    timed_wrk "$work/wrk-cpu" wrk -t"$t" -c"$CONNS" -d"$DUR" --latency -s "$work/verify.lua" \
      "$base/v1/keys/verify" >"$work/wrk-$label-$t-$i.txt"
    proc_ticks >"$work/ticks-after"
    cpu=$(cpu_per_call "$work/ticks-before" "$work/ticks-after" "$(wrk_calls "$work/wrk-$label-$t-$i.txt")" \
      tollgate postgres redis-server "@$work/wrk-cpu")
    rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk-$label-$t-$i.txt")
    p99=$(awk '$1=="99%" {print $2}' "$work/wrk-$label-$t-$i.txt")
    echo "$rps $p99 $cpu" >>"$work/runs-$label"
    echo "$label, wrk -t$t, run $i: $rps req/s, p99 $p99; CPU per call (us) tollgate/postgres/redis/wrk: $cpu"
  done
  local valid all c_tg c_pg c_redis c_wrk
  read -r rps p99 c_tg c_pg c_redis c_wrk < <(sort -n "$work/runs-$label" | sed -n "$(((REPEAT + 1) / 2))p")
  all=$(awk '{printf "%s%.0f", (NR > 1 ? ", " : ""), $1}' "$work/runs-$label")
  valid=$(curl -s -XPOST "$base/v1/keys/verify" -H "authorization: Bearer $token" -H 'content-type: application/json' \
    -d "{\"key\":\"$secret\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["code"])')
  echo "| $label | $t | $rps | $p99 | $all | $valid | $c_tg | $c_pg | $c_redis | $c_wrk |" >>"$work/rows.md"
  echo "$label, wrk -t$t: median $rps req/s, p99 $p99 (runs: $all; last answer: $valid)"
}

run_case() {  # $1 label, $2 redis url or ""
  local label=$1 redis=$2 port
  port=$(free_port)
  env -i PATH="$PATH" HOME="$HOME" DATABASE_URL="$dburl" REDIS_URL="$redis" PORT="$port" HOST=127.0.0.1 \
    THREADS="$THREADS" TOLLGATE_ENV=test VAR_DIR="$work/var-$label" WEB_DIR=/nonexistent LOG_LEVEL=warn \
    JWT_SECRET=bench-secret-bench-secret-bench-secret-bench RATE_LIMIT_IP_MAX=100000000 KEY_RATE_WINDOW=1s \
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
  local t
  for t in $WRK_THREADS; do
    measure_verify "$label" "$t" "$base" "$token" "$secret"
  done
  kill "${pids[-1]}" 2>/dev/null || true
  wait "${pids[-1]}" 2>/dev/null || true
}

: >"$work/rows.md"
if [[ -n $HELLO ]]; then
  hport=$(free_port)
  "$HELLO" "$hport" "$THREADS" >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$hport/" && break; sleep 0.1; done
  for t in $WRK_THREADS; do
    wrk -t"$t" -c"$CONNS" -d2s "http://127.0.0.1:$hport/" >/dev/null
    proc_ticks >"$work/ticks-before"
    timed_wrk "$work/wrk-cpu" wrk -t"$t" -c"$CONNS" -d"$DUR" --latency "http://127.0.0.1:$hport/" \
      >"$work/wrk-floor.txt"
    proc_ticks >"$work/ticks-after"
    read -r c_hello c_wrk <<<"$(cpu_per_call "$work/ticks-before" "$work/ticks-after" \
      "$(wrk_calls "$work/wrk-floor.txt")" bench_hello "@$work/wrk-cpu")"
    echo "| floor: bare Beast, no work (bench_hello GET) | $t | $(awk '/Requests\/sec/ {print $2}' "$work/wrk-floor.txt") | $(awk '$1=="99%" {print $2}' "$work/wrk-floor.txt") | – | – | $c_hello | – | – | $c_wrk |" >>"$work/rows.md"
  done
  kill "${pids[-1]}" 2>/dev/null || true
  wait "${pids[-1]}" 2>/dev/null || true
fi
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

$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, server threads $THREADS, wrk -c$CONNS -d$DUR (threads: $WRK_THREADS) on the same box.
Every call is a full decision: service token, key cache, rate limit, quota, and a spool write before the answer
(the server runs with KEY_RATE_WINDOW=1s, so the key's limit of 1,000,000 per window never answers instead). Each
store is measured $REPEAT times on the same server; the row is the median run.
Target: >= 25,000 req/s and p99 <= 2 ms at 32 connections.

CPU per call is each process group's user + system time over the measured run divided by its calls (the kernel's
loopback work lands on whichever process sends; softirq time outside any process is not counted).

| limiter store | wrk threads | req/s (median) | p99 | runs (req/s) | answer | CPU µs/call: server | postgres | redis | wrk |
|---|---|---|---|---|---|---|---|---|---|
$(cat "$work/rows.md")
<!-- verify:end -->
MD
)
write_section "$RESULTS" verify "$section"
echo "wrote $RESULTS"
