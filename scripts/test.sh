#!/usr/bin/env bash
# `make test`: install what is missing, build, start a throwaway PostgreSQL and Redis on free loopback ports, run
# the C++ unit tests, the functional tests (on the asan build), the web unit tests, the fault suite, the browser
# E2E and the fuzz smoke, stop everything, print one summary line. Exit status is non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
. scripts/lib.sh

scripts/deps.sh --test || exit 1

echo "== build"
configure_build release
cmake --build build/release --target tollgate tollgate_tests || exit 1
(cd web && npm run --silent build) || exit 1
# The functional suite runs once on a server built with the asan preset (AddressSanitizer, LeakSanitizer, UBSan);
# the unit tests, the fault suite and the browser tests use the release build.
echo "== build (asan preset)"
configure_build asan
cmake --build build/asan --target tollgate || exit 1

work=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-test.XXXXXX")
reports="$work/reports"
mkdir -p "$reports"
pg_port=$(free_port)
redis_port=$(free_port)
server_pid=""
fuzz_pid=""
kill_tree() {  # PID: the process and its descendants (the fuzz smoke runs in this session, not a group of its own)
  local c
  for c in $(pgrep -P "$1" 2>/dev/null); do kill_tree "$c"; done
  kill "$1" 2>/dev/null
}
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  [ -n "$fuzz_pid" ] && kill_tree "$fuzz_pid"
  scripts/pg.sh stop "$work/pg" >/dev/null 2>&1
  stop_redis "$work/redis"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== services: postgres :$pg_port, redis :$redis_port"
scripts/pg.sh init "$work/pg" >/dev/null && scripts/pg.sh start "$work/pg" "$pg_port" || exit 1
start_redis "$redis_port" "$work/redis" || exit 1
export TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$pg_port/postgres"
export TEST_REDIS_URL="redis://127.0.0.1:$redis_port"
export TOLLGATE_BIN="$root/build/release/tollgate"
export REPO_ROOT="$root"

status=0
echo "== unit (ctest)"
ctest --test-dir build/release --output-on-failure -j2 --output-junit "$reports/ctest.xml" || status=1

echo "== functional (server: build/asan/tollgate)"
# Every process of the asan binary writes its sanitizer reports (memory errors, leaks at exit, undefined behaviour)
# to a file of its own here; any file fails the run. TOLLGATE_SANITIZER tells the few tests that measure memory or
# time what they are running against.
san="$work/sanitizers"
mkdir -p "$san"
(cd tests/functional && TOLLGATE_BIN="$root/build/asan/tollgate" TOLLGATE_SANITIZER=asan \
  ASAN_OPTIONS="log_path=$san/asan:detect_leaks=1:abort_on_error=0:strict_string_checks=1" \
  UBSAN_OPTIONS="log_path=$san/ubsan:print_stacktrace=1:halt_on_error=1" LSAN_OPTIONS="log_path=$san/lsan" \
  npx vitest run --reporter=default --reporter=json --outputFile.json="$reports/functional.json") || status=1
node scripts/sanitizer-reports.mjs "$san" "$reports/sanitizers.json" || status=1

echo "== web unit"
(cd web && npx vitest run --reporter=default --reporter=json --outputFile.json="$reports/web.json") || status=1

# The fuzz smoke (clang build of tests/fuzz, then 100,000 executions per harness) runs beside the fault suite, at
# the lowest CPU priority: the fault suite mostly waits (outages, timeouts, paced load), and the smoke takes only
# the CPU it leaves idle, which keeps make test within CI's time budget.
echo "== fuzz smoke started in the background (tests/fuzz: ${FUZZ_RUNS:-100000} executions per harness; log: build/fuzz/logs/smoke.log)"
mkdir -p build/fuzz/logs
(FUZZ_REPORT="$reports/fuzz.json" nice -n 19 scripts/fuzz.sh --runs "${FUZZ_RUNS:-100000}" >build/fuzz/logs/smoke.log 2>&1) &
fuzz_pid=$!

echo "== faults (tests/faults; soak ${SOAK_SECONDS:-60} s here, 600 s under make test-faults)"
(cd tests/functional && SOAK_SECONDS="${SOAK_SECONDS:-60}" npx vitest run -c vitest.faults.config.ts \
  --reporter=default --reporter=json --outputFile.json="$reports/faults.json") || status=1

echo "== e2e (chromium)"
e2e_port=$(free_port)
# The browser test runs the SMTP sink on this port and reads the server's mail (verification links) from it.
e2e_smtp_port=$(free_port)
psql "$TEST_DATABASE_URL" -qc "CREATE DATABASE tollgate_e2e" >/dev/null
DATABASE_URL="postgresql://postgres@127.0.0.1:$pg_port/tollgate_e2e" PORT=$e2e_port HOST=127.0.0.1 TOLLGATE_ENV=test \
  VAR_DIR="$work/e2e-var" WEB_DIR="$root/web/dist" JWT_SECRET=e2e-secret-e2e-secret-e2e-secret-e2e \
  SMTP_URL="smtp://127.0.0.1:$e2e_smtp_port" PUBLIC_URL="http://127.0.0.1:$e2e_port" \
  "$TOLLGATE_BIN" serve >"$work/e2e-server.log" 2>&1 &
server_pid=$!
# Tests that need another configuration (billing in Stripe mode, against the fake Stripe of tests/functional run
# inside the test process) start a server of their own: this binary, on a fresh database created (and dropped)
# in the cluster of E2E_ADMIN_DATABASE_URL, serving E2E_WEB_DIR.
if wait_http "http://127.0.0.1:$e2e_port/readyz" 60; then
  (cd web && E2E_BASE_URL="http://127.0.0.1:$e2e_port" E2E_SMTP_PORT=$e2e_smtp_port \
    E2E_TOLLGATE_BIN="$TOLLGATE_BIN" E2E_ADMIN_DATABASE_URL="$TEST_DATABASE_URL" E2E_WEB_DIR="$root/web/dist" \
    npm run --silent e2e -- \
    --reporter=default --reporter=json --outputFile.json="$reports/e2e.json") || { status=1; tail -n 30 "$work/e2e-server.log"; }
else
  echo "e2e: server did not become ready"; tail -n 30 "$work/e2e-server.log"; status=1
fi
kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; server_pid=""

echo "== fuzz smoke"
wait "$fuzz_pid" || status=1
fuzz_pid=""
tail -n 14 build/fuzz/logs/smoke.log
[ -f "$reports/fuzz.json" ] || echo '{"targets":[],"error":"scripts/fuzz.sh wrote no report (build failed? see build/fuzz/logs/smoke.log)"}' >"$reports/fuzz.json"

node scripts/summary.mjs "$reports" || status=1
exit $status
