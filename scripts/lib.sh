# Shared helpers for the scripts in this folder. Sourced, not run.
free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}
wait_http() {  # URL TIMEOUT_S
  local url=$1 t=${2:-30} i=0
  while [ $i -lt $((t * 10)) ]; do
    curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
    sleep 0.1; i=$((i + 1))
  done
  return 1
}
start_redis() {  # PORT DIR
  mkdir -p "$2"
  redis-server --port "$1" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --pidfile "$2/redis.pid" --logfile "$2/redis.log" --dir "$2" >/dev/null
}
stop_redis() {  # DIR
  [ -f "$1/redis.pid" ] && kill "$(cat "$1/redis.pid")" 2>/dev/null || true
}
configure_build() {  # PRESET
  export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
  export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
  if [ ! -f "build/$1/build.ninja" ]; then cmake --preset "$1" >/dev/null; fi
}
