# Sourced by the bench scripts.

# A free loopback TCP port.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# write_section RESULTS NAME TEXT: replaces the block between <!-- NAME:begin --> and <!-- NAME:end --> in RESULTS
# (TEXT carries the markers), or appends it; the other scripts' sections are kept.
write_section() {
  local results=$1 name=$2 text=$3
  if [[ -f $results ]] && grep -q "<!-- $name:begin -->" "$results"; then
    python3 - "$results" "$name" "$text" <<'PY'
import re, sys
path, name, section = sys.argv[1:4]
text = open(path).read()
pattern = re.escape(f'<!-- {name}:begin -->') + '.*?' + re.escape(f'<!-- {name}:end -->')
open(path, 'w').write(re.sub(pattern, lambda m: section, text, flags=re.S))
PY
  else
    printf '\n%s\n' "$text" >>"$results"
  fi
}

# CPU seconds used so far by every process, summed by command name: "name ticks" lines (utime + stime, in clock
# ticks). Two snapshots around a measured run show where the machine's CPU went.
proc_ticks() {
  local d c t
  for d in /proc/[0-9]*; do
    c=$(cat "$d/comm" 2>/dev/null) || continue
    t=$(awk '{print $14 + $15}' "$d/stat" 2>/dev/null) || continue
    [[ -n $c && -n $t ]] && echo "${c// /_} $t"
  done | awk '{a[$1] += $2} END {for (k in a) print k, a[k]}' | sort
}

# wrk_calls FILE: the number of requests a wrk run reported.
wrk_calls() { awk '/requests in/ {print $1}' "$1"; }

# cpu_per_call BEFORE AFTER CALLS NAME...: microseconds of CPU per call for each named process group between two
# proc_ticks snapshot files, space-separated in NAME order (0 when absent). A NAME of the form @FILE is a file
# holding CPU seconds (timed_wrk's).
cpu_per_call() {
  local before=$1 after=$2 calls=$3
  shift 3
  python3 - "$before" "$after" "$calls" "$(getconf CLK_TCK)" "$@" <<'PY'
import sys
before, after, calls, hz = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
def load(p):
    out = {}
    for line in open(p):
        k, v = line.split()
        out[k] = int(v)
    return out
b, a = load(before), load(after)
def secs(n):
    if n.startswith("@"):
        return float(open(n[1:]).read())
    return (a.get(n, 0) - b.get(n, 0)) / hz
print(" ".join(f"{(secs(n) * 1e6 / calls if calls else 0):.0f}" for n in sys.argv[5:]))
PY
}

# timed_wrk CPUFILE WRK-ARGS...: runs wrk (its output on stdout) and writes the CPU seconds it used to CPUFILE. wrk
# has exited before a second proc_ticks snapshot, so its time is taken from the kernel's accounting of children.
timed_wrk() {
  local cpufile=$1
  shift
  python3 - "$cpufile" "$@" <<'PY'
import resource, subprocess, sys
code = subprocess.run(sys.argv[2:]).returncode
r = resource.getrusage(resource.RUSAGE_CHILDREN)
open(sys.argv[1], "w").write(f"{r.ru_utime + r.ru_stime}\n")
sys.exit(code)
PY
}
