#!/usr/bin/env bash
# What a user without a compiler gets from the npm package: packs this checkout (with the prebuilt addon of
# scripts/prebuild.sh and the compiled dist/), installs the tarball into an empty folder with npm --offline (the
# runtime dependencies come from the local npm cache), then, with a PATH that has node, npm and a python3 with
# PyTorch but no C/C++ compiler, cmake or make, runs `embedforge doctor`, `embedforge encode` and
# `embedforge train` from there.
#
# Usage: scripts/prebuild-install-check.sh WORK
#   WORK holds the inputs: model/ (a sentence-transformers folder), texts.txt, train.yaml (its paths relative to
#   WORK). Outputs land in WORK: doctor.txt, emb.npy, train.jsonl, times.txt, and WORK/app (the install).
# The python3 the user has: EMBEDFORGE_CHECK_PYTHON, else the project's virtualenv's (scripts/setup-python.sh).
# test/install/packInstall.test.ts drives it and checks the outputs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$(cd "${1:?usage: prebuild-install-check.sh WORK}" && pwd)"
PY="${EMBEDFORGE_CHECK_PYTHON:-$(bash "$ROOT/scripts/setup-python.sh" --print-path)/bin/python}"
TIMES="$WORK/times.txt"; : > "$TIMES"
now_ms() { local t="${EPOCHREALTIME/./}"; echo $(( t / 1000 )); }
step() { echo "$1 $(( $(now_ms) - T0 ))" >> "$TIMES"; }
say() { echo "install-check: $*" >&2; }

cd "$ROOT"
[ -f dist/cli/main.js ] || { say "dist/ is not built (npm run build:ts)"; exit 1; }
MINOR="$("$PY" -c 'import torch; print(".".join(torch.__version__.split(".")[:2]))')"
PREBUILD="prebuilds/$(node -p 'process.platform + "-" + process.arch')/embedforge.torch$MINOR.node"
[ -f "$PREBUILD" ] || { say "$PREBUILD is missing (npm run prebuilds)"; exit 1; }

# 1. The tarball, as `npm pack` makes it (its prepack, which rebuilds dist/ and the prebuild, is not re-run here:
#    dist/ and the prebuild were checked above, and other work in the checkout may be using dist/).
T0=$(now_ms)
rm -rf "$WORK/pack" "$WORK/app" "$WORK/home" "$WORK/bin"
mkdir -p "$WORK/pack" "$WORK/app" "$WORK/home" "$WORK/bin"
TGZ="$WORK/pack/$(npm pack --ignore-scripts --silent --pack-destination "$WORK/pack" 2>/dev/null | tail -n 1)"
tar tzf "$TGZ" > "$WORK/pack/contents.txt"
grep -qx "package/$PREBUILD" "$WORK/pack/contents.txt" || { say "the tarball lacks $PREBUILD"; exit 1; }
say "packed $(du -h "$TGZ" | cut -f1) $(basename "$TGZ")"
step pack

# 2. A PATH with the tools a user has and no compiler: node, npm, a python3 that has PyTorch (a wrapper, so the
#    virtualenv is its own), the shell utilities npm and Python call.
for tool in node npm npx bash sh env uname dirname cat ls mkdir rm chmod cp mv tar gzip sed grep head tail tr id; do
  p="$(command -v "$tool" || true)"; [ -n "$p" ] && ln -s "$p" "$WORK/bin/$tool"
done
printf '#!/bin/sh\nexec "%s" "$@"\n' "$PY" > "$WORK/bin/python3"; chmod +x "$WORK/bin/python3"
export PATH="$WORK/bin"
for tool in cc gcc g++ c++ clang cmake make ninja; do
  if command -v "$tool" >/dev/null; then say "$tool is still on PATH"; exit 1; fi
done
# A user's environment: nothing of this project's set-up, a fresh embedforge cache (no virtualenv in it).
unset LIBTORCH Torch_DIR EMBEDFORGE_ADDON EMBEDFORGE_PYTHON EMBEDFORGE_VENV EMBEDFORGE_BUILD LD_LIBRARY_PATH
export EMBEDFORGE_HOME="$WORK/home"

# 3. Install the tarball offline into an empty project.
cd "$WORK/app"
echo '{"name": "embedforge-install-check", "version": "1.0.0", "private": true}' > package.json
# --offline needs every package's metadata cached; where the cache holds only tarballs (npm ci from a lockfile),
# --prefer-offline takes what the cache has and asks the registry for the rest.
if npm install --offline --no-audit --no-fund --loglevel=error "$TGZ" >&2 2>"$WORK/npm-offline.log"; then
  echo offline > "$WORK/install-mode.txt"
else
  say "npm install --offline: $(grep -m1 'ENOTCACHED\|error' "$WORK/npm-offline.log" || true); retrying --prefer-offline"
  npm install --prefer-offline --no-audit --no-fund --loglevel=error "$TGZ" >&2
  echo prefer-offline > "$WORK/install-mode.txt"
fi
step install
[ ! -e node_modules/embedforge/build ] || { say "the package carries a build/ folder"; exit 1; }
EF=node_modules/.bin/embedforge

# 4. What the package sees here, then encode and a few training steps from the installed package.
"$EF" doctor > "$WORK/doctor.txt"
step doctor
cd "$WORK"
"$WORK/app/$EF" encode --model model --input texts.txt --output emb.npy --normalize >&2
step encode
"$WORK/app/$EF" train --config train.yaml --json > train.jsonl
step train
say "done: $(tr '\n' ' ' < "$TIMES")(ms since start)"
