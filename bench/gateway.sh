#!/usr/bin/env bash
# bench/gateway.sh HELLO_BIN TOLLGATE_BIN
#
# The gateway against nginx, same machine, same upstream (the bare Beast "hello" server), and writes the
# "gateway" section of bench/RESULTS.md. (a) wrk → Tollgate /gw/hello → upstream, metered with a valid key;
# (b) wrk → nginx proxy_pass (keep-alive upstream) → upstream; (c) wrk → upstream directly; (d) Tollgate /gw/echo.
# Target (issue 4): gateway >= 80 % of nginx's req/s with <= 1 ms added p99.
# Needs BENCH_DATABASE_URL and nginx (installed with apt-get when missing). Knobs: BENCH_DURATION (10s),
# BENCH_CONNECTIONS (32), BENCH_THREADS (server threads, default cores), BENCH_WRK_THREADS (2).
set -euo pipefail
[[ $# -eq 2 && -x $1 && -x $2 ]] || { echo "usage: $0 HELLO_BIN TOLLGATE_BIN" >&2; exit 2; }
HELLO=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
BIN=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
: "${BENCH_DATABASE_URL:?set BENCH_DATABASE_URL to a PostgreSQL admin URL}"
DUR=${BENCH_DURATION:-10s}
CONNS=${BENCH_CONNECTIONS:-32}
WRK_THREADS=${BENCH_WRK_THREADS:-2}
THREADS=${BENCH_THREADS:-$(nproc)}
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$SCRIPT_DIR/lib.sh"
RESULTS=${BENCH_RESULTS:-$SCRIPT_DIR/RESULTS.md}
if ! command -v nginx >/dev/null && [[ ! -x /usr/sbin/nginx ]]; then
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
work=$(mktemp -d)
pids=()
db="tg_bench_gw_$$"
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [[ -f $work/nginx.pid ]] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
  psql "$BENCH_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
wait_up() { for _ in $(seq 1 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; return 1; }

up_port=$(free_port)
"$HELLO" "$up_port" "$THREADS" >"$work/hello.log" 2>&1 &
pids+=($!)
wait_up "http://127.0.0.1:$up_port/"

psql "$BENCH_DATABASE_URL" -qc "CREATE DATABASE $db" >/dev/null
dburl="${BENCH_DATABASE_URL%/*}/$db"
tg_port=$(free_port)
env -i PATH="$PATH" HOME="$HOME" DATABASE_URL="$dburl" PORT="$tg_port" HOST=127.0.0.1 THREADS="$THREADS" \
  TOLLGATE_ENV=test VAR_DIR="$work/var" WEB_DIR=/nonexistent LOG_LEVEL=warn \
  JWT_SECRET=bench-secret-bench-secret-bench-secret-bench RATE_LIMIT_IP_MAX=100000000 "$BIN" serve >"$work/tg.log" 2>&1 &
pids+=($!)
wait_up "http://127.0.0.1:$tg_port/readyz"
sleep 1
base="http://127.0.0.1:$tg_port"
at=$(curl -sf -XPOST "$base/api/auth/register" -H 'content-type: application/json' \
  -d '{"email":"bench-gw@example.com","password":"vivid-otter-42-lamp"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["accessToken"])')
psql "$dburl" -qc "INSERT INTO subscriptions (organization_id, plan_id, status, current_period_start, current_period_end)
  SELECT o.id, p.id, 'active', now() - interval '1 day', now() + interval '29 days' FROM organizations o
  JOIN users u ON u.id = o.owner_user_id, plans p WHERE u.email = 'bench-gw@example.com' AND p.slug = 'business'" >/dev/null
secret=$(curl -sf -XPOST "$base/api/user/api-keys" -H "authorization: Bearer $at" -H 'content-type: application/json' \
  -d '{"name":"bench","rateLimitPerMinute":1000000}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')
DATABASE_URL="$dburl" "$BIN" endpoints add --path /hello --upstream "http://127.0.0.1:$up_port" --method GET >/dev/null
for _ in $(seq 1 30); do
  [[ $(curl -s -o /dev/null -w '%{http_code}' -H "X-API-Key: $secret" "$base/gw/hello") == 200 ]] && break
  sleep 0.2
done

ng_port=$(free_port)
mkdir -p "$work/ngx"
cat >"$work/nginx.conf" <<NGX
worker_processes $THREADS;
pid $work/nginx.pid;
error_log $work/ngx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/ngx; proxy_temp_path $work/ngx; fastcgi_temp_path $work/ngx;
  uwsgi_temp_path $work/ngx; scgi_temp_path $work/ngx;
  upstream hello { server 127.0.0.1:$up_port; keepalive 64; }
  server {
    listen 127.0.0.1:$ng_port;
    location / { proxy_pass http://hello; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
NGX
"$NGINX" -c "$work/nginx.conf" -p "$work/ngx" 2>/dev/null
wait_up "http://127.0.0.1:$ng_port/"

measure() {  # label url [header]
  local label=$1 url=$2 hdr=${3:-}
  local args=(-t"$WRK_THREADS" -c"$CONNS" --latency)
  [[ -n $hdr ]] && args+=(-H "$hdr")
  wrk "${args[@]}" -d2s "$url" >/dev/null
  proc_ticks >"$work/ticks-before"
  timed_wrk "$work/wrk-cpu" wrk "${args[@]}" -d"$DUR" "$url" >"$work/$label.txt"
  proc_ticks >"$work/ticks-after"
  cpu_per_call "$work/ticks-before" "$work/ticks-after" "$(wrk_calls "$work/$label.txt")" \
    tollgate nginx postgres bench_hello "@$work/wrk-cpu" | sed 's/ / | /g' >"$work/$label.cpu"
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/$label.txt")
  p99=$(awk '$1=="99%" {print $2}' "$work/$label.txt")
  echo "$label $rps $p99"
}
to_ms() { python3 -c "import sys; v=sys.argv[1]; print(float(v[:-2]) if v.endswith('ms') else float(v[:-2])/1000 if v.endswith('us') else float(v[:-1])*1000)" "$1"; }

read -r _ d_rps d_p99 < <(measure direct "http://127.0.0.1:$up_port/")
read -r _ n_rps n_p99 < <(measure nginx "http://127.0.0.1:$ng_port/")
read -r _ g_rps g_p99 < <(measure gateway "$base/gw/hello" "X-API-Key: $secret")
# The built-in demo upstream (seeded `* /echo/*` → internal://echo): the decision engine and metering without a
# proxy hop; informational (its answer is a JSON document built per call, not the upstream's 16 bytes).
read -r _ e_rps e_p99 < <(measure echo "$base/gw/echo/bench" "X-API-Key: $secret")
pct=$(python3 -c "print(round(100*$g_rps/$n_rps))")
added=$(python3 -c "print(round($(to_ms "$g_p99") - $(to_ms "$n_p99"), 2))")
echo "direct $d_rps req/s p99 $d_p99; nginx $n_rps p99 $n_p99; gateway $g_rps p99 $g_p99 ($pct % of nginx, p99 +$added ms); echo $e_rps p99 $e_p99"
verdict=PASS
python3 -c "import sys; sys.exit(0 if $pct >= 80 and $added <= 1 else 1)" || verdict=FAIL
section=$(cat <<MD
<!-- gateway:begin -->
## Gateway vs nginx (same upstream)

$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, server threads $THREADS (nginx workers $THREADS), wrk -t$WRK_THREADS -c$CONNS -d$DUR on
the same box; upstream: bench_hello (bare Beast). The gateway run is a full metered call: key check, rate limit,
quota, spool write, proxy over a pooled keep-alive connection.

CPU per call is each process group's user + system time over the measured run divided by its calls (the kernel's
loopback work lands on whichever process sends).

| path | req/s | p99 | CPU µs/call: Tollgate | nginx | postgres | upstream | wrk |
|---|---|---|---|---|---|---|---|
| upstream directly | $d_rps | $d_p99 | $(cat "$work/direct.cpu") |
| nginx proxy_pass (keepalive 64) | $n_rps | $n_p99 | $(cat "$work/nginx.cpu") |
| Tollgate /gw/hello | $g_rps | $g_p99 | $(cat "$work/gateway.cpu") |
| Tollgate /gw/echo (built-in upstream, informational) | $e_rps | $e_p99 | $(cat "$work/echo.cpu") |

Gateway: $pct % of nginx's req/s, p99 +$added ms. Target: >= 80 % and <= +1 ms. Verdict: $verdict.
<!-- gateway:end -->
MD
)
write_section "$RESULTS" gateway "$section"
echo "wrote $RESULTS"
