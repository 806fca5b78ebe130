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
