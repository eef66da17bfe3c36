#!/usr/bin/env bash
# Everything a fresh machine needs before the first run, idempotent and quick when already done:
# npm dependencies, the Python virtualenv that carries LibTorch (and the reference), the native addon,
# the compiled TypeScript.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund >&2
fi
VENV=$(bash scripts/setup-python.sh)
# Real all-mpnet-base-v2 for the tests of tutorial 003 (optional: those tests skip, saying so, without it).
bash scripts/setup-weights.sh >/dev/null || echo "setup: could not fetch all-mpnet-base-v2 (its tests will skip)" >&2
if [ ! -f build/Release/embedforge.node ] || [ -n "$(find native CMakeLists.txt -newer build/Release/embedforge.node -print -quit)" ]; then
  echo "setup: building the native addon" >&2
  EMBEDFORGE_VENV="$VENV" bash scripts/build-native.sh >&2
fi
# The prebuilt addon the npm package ships (the same objects linked portably: seconds), for test/install.
if [ "$(uname -s)" = Linux ]; then EMBEDFORGE_VENV="$VENV" bash scripts/prebuild.sh >&2; fi
if [ ! -f dist/cli/main.js ] || [ -n "$(find lib tsconfig.json tsconfig.build.json -newer dist/cli/main.js -print -quit)" ]; then
  echo "setup: compiling TypeScript" >&2
  rm -rf dist  # no compiled file of a source that no longer exists
  npx tsc -p tsconfig.build.json
  chmod +x dist/cli/main.js
fi
echo "setup: ready in $(( $(date +%s) - t0 ))s" >&2
