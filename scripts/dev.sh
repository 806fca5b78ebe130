#!/usr/bin/env bash
# `make dev`: the API server on :3001 (as make run) and the Vite dev server on :5173 with hot reload; Vite proxies
# /api, /healthz, /readyz, /metrics, /v1 and /gw to the server.
set -euo pipefail
cd "$(dirname "$0")/.."
export CORS_ORIGINS=${CORS_ORIGINS:-http://localhost:5173}
scripts/run.sh &
run_pid=$!
trap 'kill -INT $run_pid 2>/dev/null; wait $run_pid 2>/dev/null' EXIT INT TERM
cd web && npm run dev
