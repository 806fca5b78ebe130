#!/usr/bin/env bash
# Installs whatever the build, `make run` and `make test` need and is missing: Debian packages (apt-get, through
# sudo when not root) and the npm packages of web/ and tests/functional (npm ci when the lock file changed).
# Safe to run repeatedly; fast when nothing is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost-dev libpq-dev libhiredis-dev libssl-dev libsodium-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  zlib1g-dev libcurl4-openssl-dev liboath-dev libcrypt-dev libgtest-dev libgmock-dev libbenchmark-dev
  postgresql-15 postgresql-client-15 redis-server
  chromium wrk clang-format clang-tidy curl ca-certificates nginx pgbouncer
  # libFuzzer harnesses (tests/fuzz): clang with its sanitizer/fuzzer runtime, lld, llvm-symbolizer.
  clang libclang-rt-14-dev lld llvm
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    SUDO="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Installing postgresql-15 must not start a system cluster we don't use: policy-rc.d says no to services.
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

npm_ci() {
  local dir=$1
  local stamp="$dir/node_modules/.tollgate-lock"
  if [ ! -f "$stamp" ] || ! cmp -s "$dir/package-lock.json" "$stamp"; then
    echo "deps: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$dir/package-lock.json" "$stamp"
  fi
}
npm_ci web
if [ "${1:-}" = "--test" ]; then
  npm_ci tests/functional
fi
