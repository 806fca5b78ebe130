#!/usr/bin/env bash
# Embedded PostgreSQL 15 cluster helper, used by `make run`, `make test` and the functional tests.
#   scripts/pg.sh init  DIR          initdb into DIR (no-op when DIR/PG_VERSION exists)
#   scripts/pg.sh start DIR PORT     start on 127.0.0.1:PORT, socket in DIR/run; waits until ready
#   scripts/pg.sh stop  DIR          fast shutdown (no-op when not running)
#   scripts/pg.sh url   DIR PORT     print the libpq URL for the cluster
# PostgreSQL refuses to run as root, so as root every server command runs through `runuser -u postgres`
# and DIR is handed to the postgres user.
set -euo pipefail
cmd=${1:?usage: pg.sh init|start|stop|url DIR [PORT]}
dir=${2:?DIR missing}
bindir=$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || true)
[ -n "$bindir" ] || { echo "pg.sh: PostgreSQL 15 server binaries not found (apt-get install postgresql-15)" >&2; exit 1; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
owner_fix() {
  if [ "$(id -u)" = 0 ]; then
    chown -R postgres:postgres "$dir"
    # postgres must be able to reach DIR through its parents.
    local p="$dir"
    while [ "$p" != / ]; do p=$(dirname "$p"); chmod o+x "$p" 2>/dev/null || true; done
  fi
}
case "$cmd" in
  init)
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      mkdir -p "$dir/data" "$dir/run"
      owner_fix
      as_pg "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
      cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir/run'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
shared_buffers = 128MB
log_min_messages = warning
CONF
    fi
    ;;
  start)
    port=${3:?PORT missing}
    mkdir -p "$dir/run"
    owner_fix
    as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -o "-p $port -k $dir/run" -w -t 30 start >/dev/null \
      || { tail -n 30 "$dir/postgres.log" >&2; exit 1; }
    ;;
  stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_pg "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null || true
    fi
    ;;
  url)
    port=${3:?PORT missing}
    echo "postgresql://postgres@127.0.0.1:$port/postgres"
    ;;
  *) echo "pg.sh: unknown command $cmd" >&2; exit 2 ;;
esac
