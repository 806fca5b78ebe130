#!/usr/bin/env bash
# `make test-faults`: the fault suite (tests/faults) against the release binary: Tollgate, PostgreSQL, Redis, the
# SMTP sink and the fake Stripe are killed, paused and restarted under load. SOAK_SECONDS (default 600) sets the
# length of the soak test. The test harness starts its own PostgreSQL and Redis when TEST_DATABASE_URL /
# TEST_REDIS_URL are unset. Ends with the same `N passed, N failed` line as `make test`.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
. scripts/lib.sh

scripts/deps.sh --test || exit 1
if [ "${TEST_FAULTS_SKIP_BUILD:-}" != 1 ]; then
  configure_build release
  cmake --build build/release --target tollgate || exit 1
fi
reports=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-faults.XXXXXX")
trap 'rm -rf "$reports"' EXIT
export TOLLGATE_BIN="${TOLLGATE_BIN:-$root/build/release/tollgate}" REPO_ROOT="$root"
export SOAK_SECONDS="${SOAK_SECONDS:-600}"
echo "== faults (soak ${SOAK_SECONDS}s)"
status=0
(cd tests/functional && npx vitest run -c vitest.faults.config.ts --reporter=default --reporter=json \
  --outputFile.json="$reports/faults.json") || status=1
FAULTS_ONLY=1 node scripts/summary.mjs "$reports" || status=1
exit $status
