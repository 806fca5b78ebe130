#!/usr/bin/env bash
# SQL-injection scan of every parameterized endpoint of a throwaway Tollgate with sqlmap (Debian's 1.7.2).
#
#   tests/security/sqlmap.sh                 # own PostgreSQL cluster (scripts/pg.sh) in a temp dir
#   DATABASE_URL=postgresql://postgres@127.0.0.1:55433/postgres tests/security/sqlmap.sh
#                                            # use that cluster: creates and drops its own database
#
# It starts `tollgate serve` on a free loopback port, registers a user, signs in, puts the organization on a roomy
# plan, creates API keys, a service token and a 2FA-enrolled admin (`tollgate create-admin` + TOTP enrolment), then
# runs sqlmap in batch mode against each target below (query, JSON body, path, header and cookie parameters marked
# with `*`), several sqlmap processes at once, and prints a summary table.
#
# Exit status: 0 nothing injectable; 1 sqlmap reported an injection point (or "appears to be injectable" that it
# did not refute); 2 the scan is incomplete (a target could not be tested: sqlmap CRITICAL, auth lost, ...);
# 3 set-up failed (no sqlmap, server did not start, ...).
#
# Knobs: TOLLGATE_BIN, SQLMAP_LEVEL (3), SQLMAP_RISK (2), SQLMAP_JOBS (parallel sqlmap processes, 6),
# SQLMAP_ONLY (extended regex on target names), SQLMAP_REPORT_DIR (copy sqlmap logs + summary there),
# SQLMAP_KEEP=1 (keep the work directory).
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
. scripts/lib.sh

TOLLGATE_BIN=${TOLLGATE_BIN:-$root/build/release/tollgate}
LEVEL=${SQLMAP_LEVEL:-3}
RISK=${SQLMAP_RISK:-2}
JOBS=${SQLMAP_JOBS:-6}
ONLY=${SQLMAP_ONLY:-}

die() { echo "sqlmap.sh: $*" >&2; exit 3; }
command -v sqlmap >/dev/null 2>&1 || die "sqlmap is not installed (Debian: apt-get install -y sqlmap)"
command -v python3 >/dev/null 2>&1 || die "python3 is required"
command -v psql >/dev/null 2>&1 || die "psql is required (postgresql-client)"
command -v curl >/dev/null 2>&1 || die "curl is required"
[ -x "$TOLLGATE_BIN" ] || die "no server binary at $TOLLGATE_BIN (build it, or set TOLLGATE_BIN)"
# A copy: a rebuild of build/release while the scan runs must not swap the binary under it.
work=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-sqlmap.XXXXXX")
chmod 755 "$work"
cp "$TOLLGATE_BIN" "$work/tollgate"
BIN="$work/tollgate"
started=$(date +%s)

server_pid=""
pg_dir=""
admin_url=""
db_name=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  if [ -n "$db_name" ] && [ -n "$admin_url" ]; then
    psql "$admin_url" -qc "DROP DATABASE IF EXISTS \"$db_name\" WITH (FORCE)" >/dev/null 2>&1
  fi
  [ -n "$pg_dir" ] && scripts/pg.sh stop "$pg_dir" >/dev/null 2>&1
  if [ "${SQLMAP_KEEP:-}" = 1 ]; then echo "work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------------------------------ database
if [ -n "${DATABASE_URL:-}" ]; then
  admin_url=$DATABASE_URL
else
  pg_dir="$work/pg"
  pg_port=$(free_port)
  scripts/pg.sh init "$pg_dir" >/dev/null && scripts/pg.sh start "$pg_dir" "$pg_port" || die "could not start PostgreSQL"
  admin_url="postgresql://postgres@127.0.0.1:$pg_port/postgres"
fi
db_name="tg_sqlmap_$(python3 -c 'import secrets; print(secrets.token_hex(6))')"
psql "$admin_url" -qc "CREATE DATABASE \"$db_name\"" >/dev/null || die "could not create database $db_name"
db_url=$(python3 - "$admin_url" "$db_name" <<'PY'
import sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
print(urllib.parse.urlunsplit(u._replace(path='/' + sys.argv[2])))
PY
)

# ---------------------------------------------------------------------------------------------- server
port=$(free_port)
base="http://127.0.0.1:$port"
# TOLLGATE_ENV=test; /api limits out of the way (sqlmap sends thousands of requests from one address); access tokens
# that outlive the scan; X-Forwarded-For believed from loopback, so the login targets' `xforwardedfor` tamper gives
# every payload its own client address and the failed-sign-in throttle (20 per IP per 15 min, not configurable)
# never answers 429 instead of the endpoint; local billing; mail to the log.
export_env=(
  TOLLGATE_ENV=test HOST=127.0.0.1 PORT="$port" DATABASE_URL="$db_url" VAR_DIR="$work/var"
  JWT_SECRET="$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')" JWT_EXPIRY=3h
  RATE_LIMIT_IP_MAX=1000000000 RATE_LIMIT_USER_MAX=1000000000 TRUSTED_PROXIES=127.0.0.1/32
  STRIPE_SECRET_KEY= STRIPE_WEBHOOK_SECRET= MAIL_TRANSPORT=dev PUBLIC_URL="$base" AUTO_MIGRATE=true
  ADMIN_IP_ALLOWLIST= REDIS_URL=
)
mkdir -p "$work/var" "$work/out" "$work/jobs"
# Run from the work dir: the CLI also reads ./.env, and the checkout's must not leak in.
(cd "$work" && exec env "${export_env[@]}" "$BIN" serve >"$work/server.log" 2>&1) &
server_pid=$!
for _ in $(seq 1 300); do
  curl -fsS -o /dev/null "$base/readyz" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { tail -n 30 "$work/server.log" >&2; die "server exited during start-up"; }
  sleep 0.1
done
curl -fsS -o /dev/null "$base/readyz" || { tail -n 30 "$work/server.log" >&2; die "server not ready after 30 s"; }
cli() { (cd "$work" && env "${export_env[@]}" "$BIN" "$@"); }

# --------------------------------------------------------------------------------------------- fixtures
# JSON in, one field out (python3 is a dependency of sqlmap anyway).
jget() { python3 -c 'import sys, json
d = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    d = d[int(k)] if isinstance(d, list) else d[k]
print(d)' "$1"; }
post() {  # PATH JSON [TOKEN]
  curl -sS -X POST "$base$1" -H 'Content-Type: application/json' ${3:+-H "Authorization: Bearer $3"} --data "$2"
}
PASSWORD='Sqlmap-scan-7f3#kQ9!x'
rnd=$(python3 -c 'import secrets; print(secrets.token_hex(4))')
USER_EMAIL="sqlmap-user-$rnd@example.com"
ADMIN_EMAIL="sqlmap-admin-$rnd@example.com"
OTHER_EMAIL="sqlmap-other-$rnd@example.com"

reg=$(post /api/auth/register "{\"email\":\"$USER_EMAIL\",\"password\":\"$PASSWORD\",\"name\":\"Scan\"}") || die "register failed"
USER_ID=$(echo "$reg" | jget user.id) || die "register: $reg"
ORG_ID=$(echo "$reg" | jget organizationId)
# Two sessions: the registration's refresh token is what the refresh target spends (a reused refresh token revokes
# its whole session family), the login's access token is what every signed-in target uses.
REFRESH=$(echo "$reg" | jget refreshToken)
login=$(post /api/auth/login "{\"email\":\"$USER_EMAIL\",\"password\":\"$PASSWORD\"}")
TOKEN=$(echo "$login" | jget accessToken) || die "login: $login"
other=$(post /api/auth/register "{\"email\":\"$OTHER_EMAIL\",\"password\":\"$PASSWORD\"}")
OTHER_ID=$(echo "$other" | jget user.id) || die "register (other): $other"

# A roomy plan, so key creation never meets KEY_LIMIT_REACHED and verify never USAGE_EXCEEDED mid-scan.
psql "$db_url" -qv ON_ERROR_STOP=1 >/dev/null <<SQL || die "plan set-up failed"
INSERT INTO plans (slug, name, type, included_units, quota_policy, rate_limit_per_minute, max_api_keys, is_public)
VALUES ('sqlmap-roomy', 'sqlmap roomy', 'HYBRID', 1000000000, 'allow_overage', 1000000, NULL, false);
INSERT INTO subscriptions (organization_id, plan_id, status, current_period_start, current_period_end)
SELECT '$ORG_ID', id, 'active', now() - interval '1 day', now() + interval '29 days' FROM plans WHERE slug = 'sqlmap-roomy';
SQL
key=$(post /api/user/api-keys '{"name":"sqlmap","rateLimitPerMinute":1000000}' "$TOKEN")
KEY_ID=$(echo "$key" | jget key.id) || die "create key: $key"
KEY_SECRET=$(echo "$key" | jget secret)
SVC=$(cli service-token create --name sqlmap | tail -n 1)
[[ "$SVC" == tg_svc_* ]] || die "service-token create printed: $SVC"
# One call, so usage queries have rows to return.
curl -sS -o /dev/null "$base/gw/echo/hello?x=1" -H "X-API-Key: $KEY_SECRET"
post /v1/keys/verify "{\"key\":\"$KEY_SECRET\",\"endpoint\":\"/v1/search\"}" "$SVC" >/dev/null

# The admin: created by the CLI, signed in, enrolled in TOTP by that same session (which is what the admin API
# accepts as "proved 2FA": no second code from a later time step is needed).
cli create-admin --email "$ADMIN_EMAIL" --password "$PASSWORD" >/dev/null || die "create-admin failed"
alogin=$(post /api/auth/login "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$PASSWORD\"}")
ADMIN_TOKEN=$(echo "$alogin" | jget accessToken) || die "admin login: $alogin"
setup=$(post /api/user/2fa/setup "{\"password\":\"$PASSWORD\"}" "$ADMIN_TOKEN")
SECRET=$(echo "$setup" | jget secret) || die "2fa setup: $setup"
CODE=$(python3 - "$SECRET" <<'PY'
import base64, hashlib, hmac, struct, sys, time
s = sys.argv[1].upper().replace(' ', '')
key = base64.b32decode(s + '=' * (-len(s) % 8))
mac = hmac.new(key, struct.pack('>Q', int(time.time()) // 30), hashlib.sha1).digest()
o = mac[-1] & 15
print('%06d' % ((struct.unpack('>I', mac[o:o + 4])[0] & 0x7fffffff) % 1000000))
PY
)
enable=$(post /api/user/2fa/enable "{\"code\":\"$CODE\"}" "$ADMIN_TOKEN")
echo "$enable" | grep -q recoveryCodes || die "2fa enable: $enable"
admin_probe=$(curl -sS -o /dev/null -w '%{http_code}' "$base/api/admin/users?pageSize=1" -H "Authorization: Bearer $ADMIN_TOKEN")
[ "$admin_probe" = 200 ] || die "admin API probe answered $admin_probe"
MONTH_Y=$(date -u +%Y)
MONTH_M=$(date -u +%-m)
FROM=$(date -u -d '-7 days' +%Y-%m-%dT%H:%M:%SZ)
TO=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
DAY_FROM=$(date -u -d '-7 days' +%Y-%m-%d)
DAY_TO=$(date -u -d '+1 day' +%Y-%m-%d)
echo "== tollgate on $base (database $db_name); fixtures ready in $(( $(date +%s) - started )) s"

# ---------------------------------------------------------------------------------------------- targets
# target NAME METHOD URL [sqlmap args...]. Parameters to test carry sqlmap's custom injection mark `*`; only those
# are tested (no User-Agent/Referer/Cookie unless marked).
# --skip-waf: there is no WAF, and its probe compares against a first answer that may legitimately change (a spent
# refresh token), which sqlmap then reports as "protected by some kind of WAF/IPS" and stops.
common=(--batch --level "$LEVEL" --risk "$RISK" --dbms=PostgreSQL --disable-coloring --flush-session
        --drop-set-cookie --skip-waf --timeout=30 --retries=1 -v 1)
n=0
target() {
  local name=$1 method=$2 url=$3
  shift 3
  if [ -n "$ONLY" ] && ! [[ "$name" =~ $ONLY ]]; then return; fi
  n=$((n + 1))
  local id
  id=$(printf '%02d-%s' "$n" "$name")
  {
    echo "cd $(printf %q "$work/out")"
    printf 'start=$(date +%%s.%%N)\n'
    printf 'TERM=dumb sqlmap -u %q --method %q --output-dir=%q' "$url" "$method" "$work/out/$id.d"
    printf ' %q' "${common[@]}" "$@"
    printf ' </dev/null >%q 2>&1\n' "$work/out/$id.log"
    printf 'echo "$(date +%%s.%%N) $start" | awk %q >%q\n' '{printf "%.0f", $1 - $2}' "$work/out/$id.secs"
  } >"$work/jobs/$id.sh"
}
json=(-H 'Content-Type: application/json')
user=(-H "Authorization: Bearer $TOKEN")
admin=(-H "Authorization: Bearer $ADMIN_TOKEN")
# Anonymous auth routes: a 401 is their normal answer; the tamper randomizes the client address per payload.
anon=(--ignore-code=401 --tamper=xforwardedfor)
NOBODY="nobody-$rnd@example.com"

# Every login, and every registration that passes validation, costs an argon2id hash (64 MiB, t=2) on a 2-thread
# pool, whatever the email: these targets are the slowest, so they start first (in parallel with the rest), and
# they run boolean-based and error-based detection only. Skipped: the timing techniques (time-based blind, stacked
# queries, which sqlmap confirms by timing: the hash's own latency, up to seconds under load, is noise they would
# misread) and UNION (it needs query rows reflected in the answer, and these answers are a fixed problem document
# or the caller's own account); each of those would add minutes of hashing.
slow=(--technique=BE)
target login-email POST "$base/api/auth/login" "${json[@]}" "${anon[@]}" "${slow[@]}" --data "{\"email\":\"$NOBODY*\",\"password\":\"$PASSWORD\"}"
target login-password POST "$base/api/auth/login" "${json[@]}" "${anon[@]}" "${slow[@]}" --data "{\"email\":\"$NOBODY\",\"password\":\"wrong-password-1*\"}"
# A valid password, so payloads in the other fields get past validation to the INSERT (409 EMAIL_TAKEN after the
# hash); a payload in the password itself only meets the password policy and argon2, never SQL.
target register POST "$base/api/auth/register" "${json[@]}" "${anon[@]}" "${slow[@]}" --data "{\"email\":\"$USER_EMAIL*\",\"password\":\"$PASSWORD\",\"name\":\"N*\",\"company\":\"C*\"}"
target forgot-password POST "$base/api/auth/forgot-password" "${json[@]}" "${anon[@]}" --data "{\"email\":\"$USER_EMAIL*\"}"
target resend-verification POST "$base/api/auth/resend-verification" "${json[@]}" "${anon[@]}" --data "{\"email\":\"$USER_EMAIL*\"}"
target verify-email POST "$base/api/auth/verify-email" "${json[@]}" "${anon[@]}" --data '{"token":"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG*"}'
target reset-password POST "$base/api/auth/reset-password" "${json[@]}" "${anon[@]}" --data "{\"token\":\"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG*\",\"password\":\"$PASSWORD\"}"
target 2fa-verify POST "$base/api/auth/2fa/verify" "${json[@]}" "${anon[@]}" --data '{"mfaToken":"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG*","code":"123456*"}'
target refresh-body POST "$base/api/auth/refresh" "${json[@]}" "${anon[@]}" --data "{\"refreshToken\":\"$REFRESH*\"}"
target refresh-cookie POST "$base/api/auth/refresh" "${anon[@]}" --cookie "__Host-tollgate_refresh=rt_abcdefghijklmnopqrstuvwxyz012345*"
# The signed-in user.
target profile PATCH "$base/api/user/profile" "${json[@]}" "${user[@]}" --data '{"name":"Scan*","company":"Acme*","avatarUrl":"https://example.com/a.png*"}'
target org-header GET "$base/api/user/subscription" "${user[@]}" -H "X-Organization-Id: $ORG_ID*"
target keys-list GET "$base/api/user/api-keys?status=active*" "${user[@]}"
target key-create POST "$base/api/user/api-keys" "${json[@]}" "${user[@]}" --data '{"name":"scan*","environment":"test*","metadata":{"tier":"gold*"}}'
target key-get GET "$base/api/user/api-keys/$KEY_ID*" "${user[@]}"
target key-update PATCH "$base/api/user/api-keys/$KEY_ID" "${json[@]}" "${user[@]}" --data '{"name":"renamed*","status":"active*","metadata":{"a":"b*"}}'
target usage-summary GET "$base/api/user/usage/summary?from=$FROM*&to=$TO*&keyId=$KEY_ID*" "${user[@]}"
target usage-timeseries GET "$base/api/user/usage/timeseries?from=$FROM&to=$TO&granularity=hour*" "${user[@]}"
target usage-by-endpoint GET "$base/api/user/usage/by-endpoint?from=$FROM*&keyId=$KEY_ID*" "${user[@]}"
target usage-detailed GET "$base/api/user/usage/detailed?limit=50*&endpoint=/hello*&statusClass=2xx*&cursor=abc*" "${user[@]}"
target usage-monthly GET "$base/api/user/usage/monthly/$MONTH_Y*/$MONTH_M*" "${user[@]}"
target usage-export GET "$base/api/user/usage/export?from=$FROM*&to=$TO*" "${user[@]}"
target plan-preview POST "$base/api/user/subscription/preview" "${json[@]}" "${user[@]}" --data '{"plan":"pro*","interval":"month*"}'
target invoices GET "$base/api/user/billing/invoices?limit=20*&cursor=abc*" "${user[@]}"
target notifications GET "$base/api/notifications?limit=20*&before=00000000-0000-0000-0000-000000000000*" "${user[@]}"
target invitation-accept POST "$base/api/invitations/accept" "${json[@]}" "${user[@]}" --ignore-code=404 --data '{"token":"abcdefghijklmnopqrstuvwxyz012345*"}'
# Metering: the service token and the API key as injection points too.
target verify-body POST "$base/v1/keys/verify" "${json[@]}" -H "Authorization: Bearer $SVC" --data "{\"key\":\"$KEY_SECRET*\",\"endpoint\":\"/v1/search*\",\"method\":\"GET*\"}"
target verify-token POST "$base/v1/keys/verify" "${json[@]}" --ignore-code=401 -H "Authorization: Bearer $SVC*" --data "{\"key\":\"$KEY_SECRET\"}"
target gateway GET "$base/gw/echo/hello?q=1*" --ignore-code=401 -H "X-API-Key: $KEY_SECRET*"
# The admin API (2FA-proved session).
target admin-users GET "$base/api/admin/users?q=sqlmap*&status=active*&role=USER*&plan=free*&verified=true*&page=1*&pageSize=25*" "${admin[@]}"
target admin-user GET "$base/api/admin/users/$OTHER_ID*" "${admin[@]}"
target admin-orgs GET "$base/api/admin/organizations?q=scan*&status=active*&plan=free*&page=1*&pageSize=25*" "${admin[@]}"
target admin-org GET "$base/api/admin/organizations/$ORG_ID*" "${admin[@]}"
target admin-audit GET "$base/api/admin/audit-log?limit=50*&action=auth.*&actorId=$USER_ID*&organizationId=$ORG_ID*&targetId=$USER_ID*&from=$DAY_FROM*&to=$DAY_TO*&before=abc*" "${admin[@]}"
target admin-rate-limits GET "$base/api/admin/rate-limits?kind=user*&id=$USER_ID*" "${admin[@]}"
target admin-analytics GET "$base/api/admin/analytics?from=$DAY_FROM*&to=$DAY_TO*" "${admin[@]}"

[ "$n" -gt 0 ] || die "no target matches SQLMAP_ONLY=$ONLY"
echo "== sqlmap $(sqlmap --version 2>/dev/null | head -n 1): $n targets, level $LEVEL, risk $RISK, $JOBS at a time"
scan_started=$(date +%s)
ls "$work/jobs"/*.sh | xargs -P "$JOBS" -n 1 bash
scan_secs=$(( $(date +%s) - scan_started ))
requests=$(grep -c '"msg":"request"' "$work/server.log")

# ---------------------------------------------------------------------------------------------- verdicts
status=0
table="$work/summary.txt"
verdicts() {
  printf '%-22s %-6s %-12s %5s  %s\n' TARGET PARAMS VERDICT SECS 'HTTP CODES SEEN BY SQLMAP / NOTES'
  for log in "$work"/out/*.log; do
    id=$(basename "$log" .log)
    name=${id#*-}
    params=$(grep -oE "testing for SQL injection on .* parameter '[^']+'" "$log" | sort -u | wc -l)
    secs=$(cat "$work/out/$id.secs" 2>/dev/null || echo '?')
    codes=$(grep -A20 'HTTP error codes detected during run' "$log" | grep -oE '[0-9]{3} \([^)]*\) - [0-9]+ times' | sed -E 's/ \([^)]*\) - /:/; s/ times//' | paste -sd' ' -)
    verdict=clean
    note=${codes:-"(only 2xx)"}
    if grep -qE 'identified the following injection point|is vulnerable\. Do you want' "$log"; then
      verdict=INJECTABLE
      note=$(grep -oE "Parameter: [^ ]+ \([^)]*\)" "$log" | sort -u | paste -sd' ' -)
      status=1
    elif grep -qE "(appears to be|is) '[^']+' injectable" "$log" && ! grep -q 'false positive or unexploitable' "$log"; then
      verdict=SUSPECT
      note=$(grep -oE "parameter '[^']+' (appears to be|is) '[^']+' injectable" "$log" | head -n 2 | paste -sd' ' -)
      status=1
    else
      # Complete = every parameter sqlmap started on reached its verdict, and nothing fatal was logged. (Some
      # CRITICAL lines are not fatal, e.g. "target URL content appears to be heavily dynamic": sqlmap goes on.)
      concluded=$(grep -oE "parameter '[^']+' does not seem to be injectable" "$log" | sort -u | wc -l)
      fatal=$(grep -m1 -E '\[CRITICAL\] .*(not authorized|unable to connect|connection (refused|reset|timed out)|page not found|aborting|too many)' "$log" \
                | sed -E 's/^\[[0-9:]+\] \[CRITICAL\] //' | cut -c1-110)
      if [ "$params" -eq 0 ] || [ "$concluded" -lt "$params" ] || [ -n "$fatal" ]; then
        verdict=INCOMPLETE
        note=${fatal:-"$concluded of $params parameters concluded"}
        [ "$status" = 0 ] && status=2
      fi
    fi
    printf '%-22s %-6s %-12s %5s  %s\n' "$name" "$params" "$verdict" "$secs" "$note"
  done
}
verdicts >"$table"  # not in a pipeline: `status` must survive
cat "$table"
total_params=$(awk 'NR > 1 { s += $2 } END { print s + 0 }' "$table")
echo "== $n targets, $total_params parameters, $requests requests to the server; scan $scan_secs s, total $(( $(date +%s) - started )) s"
# The signed-in targets are only meaningful while their session lives: a revoked one would have made sqlmap
# compare 401s.
for check in "$TOKEN" "$ADMIN_TOKEN"; do
  code=$(curl -sS -o /dev/null -w '%{http_code}' "$base/api/user/profile" -H "Authorization: Bearer $check")
  if [ "$code" != 200 ]; then
    echo "sqlmap.sh: a scan session no longer works after the scan (GET /api/user/profile answered $code)" >&2
    [ "$status" = 0 ] && status=2
  fi
done
if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "sqlmap.sh: the server died during the scan:" >&2
  tail -n 30 "$work/server.log" >&2
  status=2
fi
# 5xx answers are not SQL injection, but worth a look (the start-up /readyz polls answer 503 by design).
server_errors=$(grep '"status":5[0-9][0-9]' "$work/server.log" | grep -vc '"route":"/readyz"')
if [ "$server_errors" -gt 0 ]; then
  echo "note: $server_errors requests answered 5xx during the scan, e.g.:"
  grep '"status":5[0-9][0-9]' "$work/server.log" | grep -v '"route":"/readyz"' | head -n 3 | cut -c1-300
fi
case $status in
  0) echo "RESULT: no parameter reported injectable" ;;
  1) echo "RESULT: sqlmap reported injectable parameter(s): see the table; logs in ${SQLMAP_REPORT_DIR:-$work/out}" ;;
  2) echo "RESULT: the scan is incomplete (see INCOMPLETE rows)" ;;
esac
if [ -n "${SQLMAP_REPORT_DIR:-}" ]; then
  mkdir -p "$SQLMAP_REPORT_DIR"
  cp "$work"/out/*.log "$table" "$work/server.log" "$SQLMAP_REPORT_DIR"/ 2>/dev/null
fi
[ "$status" != 0 ] && [ "${SQLMAP_KEEP:-}" != 1 ] && SQLMAP_KEEP=1 && echo "(keeping $work for inspection)"
exit $status
