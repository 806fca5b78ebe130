#!/usr/bin/env bash
# `make lint`: clang-format check on every C++ file, clang-tidy on C++ files changed against HEAD (or all with
# --all), eslint + tsc for the web app, tsc for the functional tests.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
configure_build release
status=0

echo "== clang-format"
git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror || status=1

echo "== clang-tidy"
# clang cannot read GCC's precompiled header or GCC-only warning flags: give it a filtered compile database.
mkdir -p build/tidy
node -e '
  const db = require(process.argv[1]);
  for (const e of db) {
    e.command = e.command
      .replace(/-Winvalid-pch|-include \S+cmake_pch\.hxx|-Wno-restrict|-Wno-stringop-overflow|-Werror/g, "")
      .replace(/ -c /, " -include utility -c ");
  }
  require("fs").writeFileSync(process.argv[2], JSON.stringify(db));
' "$PWD/build/release/compile_commands.json" build/tidy/compile_commands.json
if [ "${1:-}" = "--all" ]; then
  files=$(git ls-files 'src/*.cpp')
else
  files=$( (git diff --name-only --diff-filter=AM HEAD -- 'src/*.cpp'; git ls-files --others --exclude-standard 'src/*.cpp') | sort -u)
fi
if [ -n "$files" ]; then
  clang-tidy -p build/tidy --quiet $files 2>/dev/null | grep -E "warning:|error:" | grep "/src/" && status=1 || true
else
  echo "no changed C++ files"
fi

echo "== web"
(cd web && npm run --silent lint) || status=1
echo "== functional tests typecheck"
(cd tests/functional && npm run --silent typecheck) || status=1
exit $status
