#!/usr/bin/env bash
# bench/all.sh HELLO_BIN TOLLGATE_BIN: every benchmark, each writing its section of bench/RESULTS.md.
# Starts a throwaway PostgreSQL cluster (scripts/pg.sh) unless BENCH_DATABASE_URL is set.
set -euo pipefail
[[ $# -eq 2 ]] || { echo "usage: $0 HELLO_BIN TOLLGATE_BIN" >&2; exit 2; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
"$here/run.sh" "$1" "$2"
if [[ -z ${BENCH_DATABASE_URL:-} ]]; then
  pgdir=$(mktemp -d)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  bash "$root/scripts/pg.sh" init "$pgdir" >/dev/null
  bash "$root/scripts/pg.sh" start "$pgdir" "$port" >/dev/null
  trap 'bash "$root/scripts/pg.sh" stop "$pgdir" >/dev/null 2>&1 || true; rm -rf "$pgdir"' EXIT
  export BENCH_DATABASE_URL="postgresql://postgres@127.0.0.1:$port/postgres"
fi
"$here/verify.sh" "$2" "$1"
"$here/usage_summary.sh" "$2"
"$here/gateway.sh" "$1" "$2"
