#!/usr/bin/env bash
# `make run`: serve the dashboard and API on http://localhost:3001 (PORT to change). Without DATABASE_URL an
# embedded PostgreSQL 15 cluster lives in var/pg (socket in var/pg/run, loopback only) and is stopped on Ctrl-C.
# The settings used are written to var/tollgate.env, which the CLI reads too (./tollgate migrate, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
. scripts/lib.sh
mkdir -p var/log

embedded=""
if [ -z "${DATABASE_URL:-}" ]; then
  pg_port=${TOLLGATE_PG_PORT:-}
  if [ -z "$pg_port" ] && [ -f var/tollgate.env ]; then pg_port=$(sed -n 's/^TOLLGATE_PG_PORT=//p' var/tollgate.env); fi
  [ -n "$pg_port" ] || pg_port=$(free_port)
  scripts/pg.sh init var/pg
  scripts/pg.sh stop var/pg >/dev/null 2>&1 || true
  scripts/pg.sh start var/pg "$pg_port"
  psql "postgresql://postgres@127.0.0.1:$pg_port/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname='tollgate'" | grep -q 1 \
    || psql "postgresql://postgres@127.0.0.1:$pg_port/postgres" -qc "CREATE DATABASE tollgate"
  export DATABASE_URL="postgresql://postgres@127.0.0.1:$pg_port/tollgate"
  embedded=1
  {
    echo "# Written by make run: the embedded development cluster. Read by tollgate commands run from the checkout."
    echo "TOLLGATE_PG_PORT=$pg_port"
    echo "DATABASE_URL=$DATABASE_URL"
  } > var/tollgate.env
fi

stop_all() {
  [ -n "${server_pid:-}" ] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  if [ -n "$embedded" ]; then scripts/pg.sh stop var/pg; echo "embedded PostgreSQL stopped"; fi
}
trap stop_all EXIT
trap 'exit 0' INT TERM

export PORT=${PORT:-3001}
export WEB_DIR=${WEB_DIR:-$root/web/dist}
export VAR_DIR=${VAR_DIR:-$root/var}
# The first admin: ADMIN_EMAIL / ADMIN_PASSWORD, or a generated password printed once.
build/release/tollgate create-admin --if-none
echo "Tollgate on http://localhost:$PORT  (Ctrl-C stops the server and the embedded database)"
build/release/tollgate serve &
server_pid=$!
wait "$server_pid"
