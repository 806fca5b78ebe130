#!/usr/bin/env bash
# Builds the libFuzzer harnesses of tests/fuzz (clang, in build/fuzz) and runs each one.
#
#   scripts/fuzz.sh [SECONDS]        fuzz every target for SECONDS (default 60)
#   scripts/fuzz.sh --runs N         CI smoke: every target for N executions (CI: --runs 100000)
#   FUZZ_TARGETS="jwt config" scripts/fuzz.sh 30     only these targets
#   FUZZ_JOBS=2 (build parallelism, default 2), FUZZ_NO_BUILD=1 (use what build/fuzz has),
#   FUZZ_REPORT=file.json (a row per target, read by scripts/summary.mjs under make test)
#
# Per target: the inputs in tests/fuzz/regressions/<target>/ are replayed first (each must run clean), then the
# fuzzer starts from a copy of tests/fuzz/corpus/<target>/ in a temporary directory (the committed corpus never
# grows), with tests/fuzz/dict/<target>.dict when present. Crash, leak, timeout and OOM inputs are written to
# build/fuzz/artifacts/<target>/; logs to build/fuzz/logs/. Exits non-zero when any target failed.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SECONDS_PER_TARGET=60
RUNS=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
    --runs=*) RUNS=${1#--runs=}; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *[!0-9]*|"") echo "fuzz: unknown argument '$1'" >&2; exit 2 ;;
    *) SECONDS_PER_TARGET=$1; shift ;;
  esac
done

ALL_TARGETS=(http_request json_bodies jwt stripe_signature api_key query_params config)
read -r -a TARGETS <<<"${FUZZ_TARGETS:-${ALL_TARGETS[*]}}"

# Longest input each harness gets (the harness's own framing byte(s) included).
max_len() {
  case "$1" in
    http_request) echo 8192 ;;   # heads + a body; header limit is 16 KiB, but bigger inputs only slow it down
    json_bodies) echo 4096 ;;
    jwt) echo 4200 ;;            # Jwt::kMaxTokenBytes is 4096
    stripe_signature) echo 8192 ;;
    api_key) echo 128 ;;
    query_params) echo 2048 ;;
    config) echo 4096 ;;
    *) echo 4096 ;;
  esac
}

BUILD=build/fuzz
BIN=$BUILD/bin
mkdir -p "$BUILD/artifacts" "$BUILD/logs"
START_ALL=$(date +%s)

if [ -z "${FUZZ_NO_BUILD:-}" ]; then
  command -v clang++ >/dev/null || { echo "fuzz: clang++ is missing (apt-get install clang)" >&2; exit 2; }
  export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
  if [ ! -f "$BUILD/build.ninja" ]; then
    cmake -S tests/fuzz -B "$BUILD" -G Ninja -DCMAKE_CXX_COMPILER=clang++ >"$BUILD/logs/configure.log" 2>&1 || {
      cat "$BUILD/logs/configure.log" >&2
      exit 2
    }
  fi
  build_targets=()
  for t in "${TARGETS[@]}"; do build_targets+=("fuzz_$t"); done
  echo "fuzz: building ${build_targets[*]} in $BUILD (nice, -j${FUZZ_JOBS:-2})"
  if ! nice -n 10 cmake --build "$BUILD" -j "${FUZZ_JOBS:-2}" --target "${build_targets[@]}" \
      >"$BUILD/logs/build.log" 2>&1; then
    grep -E "error|undefined|FAILED" "$BUILD/logs/build.log" | head -40 >&2
    echo "fuzz: build failed (full log: $BUILD/logs/build.log)" >&2
    exit 2
  fi
fi
BUILD_S=$(( $(date +%s) - START_ALL ))

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:symbolize=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:symbolize=1}
if command -v llvm-symbolizer >/dev/null; then export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$(command -v llvm-symbolizer)}; fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-fuzz.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

declare -a ROWS
FAILED=0
for t in "${TARGETS[@]}"; do
  exe=$BIN/fuzz_$t
  log=$BUILD/logs/$t.log
  artifacts=$BUILD/artifacts/$t/
  mkdir -p "$artifacts"
  : >"$log"
  if [ ! -x "$exe" ]; then
    ROWS+=("$t|-|-|MISSING")
    FAILED=1
    continue
  fi
  common=(-max_len="$(max_len "$t")" -timeout=25 -rss_limit_mb=2048 -artifact_prefix="$artifacts")

  # 1. Regression inputs: each is run once; any report fails the target.
  result=""
  regs=()
  if [ -d "tests/fuzz/regressions/$t" ]; then
    while IFS= read -r -d '' f; do regs+=("$f"); done < <(find "tests/fuzz/regressions/$t" -type f ! -name '*.md' ! -name '.*' -print0 | sort -z)
  fi
  if [ ${#regs[@]} -gt 0 ]; then
    echo "== $t: replaying ${#regs[@]} regression input(s)" | tee -a "$log"
    if ! "$exe" "${common[@]}" "${regs[@]}" >>"$log" 2>&1; then
      result="REGRESSION"
    fi
  fi

  # 2. Fuzzing from a throw-away copy of the seed corpus.
  start=$(date +%s%N)
  execs="-"
  if [ -z "$result" ]; then
    corpus=$WORK/$t
    mkdir -p "$corpus"
    [ -d "tests/fuzz/corpus/$t" ] && cp -R "tests/fuzz/corpus/$t/." "$corpus/"
    args=("${common[@]}" -print_final_stats=1)
    [ -f "tests/fuzz/dict/$t.dict" ] && args+=(-dict="tests/fuzz/dict/$t.dict")
    if [ -n "$RUNS" ]; then
      args+=(-runs="$RUNS")
    else
      args+=(-max_total_time="$SECONDS_PER_TARGET")
    fi
    echo "== $t: $exe ${args[*]} $corpus" | tee -a "$log"
    if "$exe" "${args[@]}" "$corpus" >>"$log" 2>&1; then
      result="OK"
    else
      result="CRASH"
    fi
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
    [ -z "$execs" ] && execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
    [ -z "$execs" ] && execs="-"
    if [ -n "$RUNS" ] && [ "$result" = "OK" ] && [ "$execs" != "-" ] && [ "$execs" -lt "$RUNS" ]; then
      result="SHORT"  # fewer executions than asked for
    fi
  fi
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  secs=$(printf '%d.%d' $((ms / 1000)) $(((ms % 1000) / 100)))
  if [ "$result" != "OK" ]; then
    FAILED=1
    echo "---- $t: $result; the report (full log: $log, inputs: $artifacts):" >&2
    grep -E -A40 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|FUZZ_CHECK failed|==[0-9]+==ERROR' "$log" |
      head -60 >&2
    ls -1 "$artifacts" 2>/dev/null | sed 's/^/    artifact: /' >&2
  fi
  ROWS+=("$t|$execs|$secs|$result")
done

TOTAL_S=$(( $(date +%s) - START_ALL ))
printf '\n%-18s %12s %8s  %s\n' target executions seconds result
printf '%-18s %12s %8s  %s\n' ------------------ ------------ -------- ----------
for row in "${ROWS[@]}"; do
  IFS='|' read -r t e s r <<<"$row"
  printf '%-18s %12s %8s  %s\n' "$t" "$e" "$s" "$r"
done
if [ -n "${FUZZ_REPORT:-}" ]; then  # for scripts/summary.mjs: one row per target
  {
    printf '{"buildSeconds":%s,"totalSeconds":%s,"targets":[' "$BUILD_S" "$TOTAL_S"
    sep=""
    for row in "${ROWS[@]}"; do
      IFS='|' read -r t e s r <<<"$row"
      printf '%s{"target":"%s","executions":"%s","seconds":"%s","result":"%s"}' "$sep" "$t" "$e" "$s" "$r"
      sep=","
    done
    printf ']}\n'
  } >"$FUZZ_REPORT"
fi
printf '\nbuild %ss, total %ss%s\n' "$BUILD_S" "$TOTAL_S" "$([ $FAILED = 0 ] && echo ', all clean' || echo ', FAILED')"
exit $FAILED
