#!/usr/bin/env bash
# Builds the native addon (build/Release/embedforge.node) with cmake-js against LOCAL headers only.
# LibTorch is found in this order: $LIBTORCH or $Torch_DIR; the PyTorch of the project's virtualenv
# (scripts/setup-python.sh, created if missing); a system install (cmake's default search).
# Node-API headers come from the node-api-headers and node-addon-api packages: nothing is downloaded.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
JOBS="${CMAKE_BUILD_PARALLEL_LEVEL:-2}"
# node-gyp (binding.gyp) owns build/ itself, so it asks for a separate CMake tree via EMBEDFORGE_BUILD_DIR.
BUILD_DIR="${EMBEDFORGE_BUILD_DIR:-build}"

TORCH_PREFIX=""
if [ -n "${LIBTORCH:-}" ]; then
  TORCH_PREFIX="$LIBTORCH"
elif [ -n "${Torch_DIR:-}" ]; then
  TORCH_PREFIX="$Torch_DIR"
else
  VENV="$(bash scripts/setup-python.sh | tail -n 1)"
  if [ -x "$VENV/bin/python" ]; then
    TORCH_PREFIX="$("$VENV/bin/python" -c 'import torch.utils; print(torch.utils.cmake_prefix_path)')"
  fi
fi
[ -n "$TORCH_PREFIX" ] && echo "build-native: LibTorch from $TORCH_PREFIX" >&2 || echo "build-native: LibTorch from the system" >&2

NAPI_INC="$(node -p "require('node-api-headers').include_dir")"
ADDON_INC="$(node -p "require('node-addon-api').include_dir" | tr -d '"')"
case "$ADDON_INC" in /*) ;; *) ADDON_INC="$ROOT/$ADDON_INC" ;; esac

# cmake-js insists on a node distribution unless package.json declares binary.napi_versions; point it at
# the installed node's own headers (npm's nodedir) so it never tries to download one. The addon itself
# only uses the Node-API headers above.
NODE_PREFIX="$(dirname "$(dirname "$(command -v node)")")"
if [ ! -f "$NODE_PREFIX/include/node/node.h" ]; then
  NODE_PREFIX="$ROOT/build/nodedir-stub"
  mkdir -p "$NODE_PREFIX/include/node" && touch "$NODE_PREFIX/include/node/node.h"
fi
export npm_config_nodedir="$NODE_PREFIX"

GEN=()
command -v ninja >/dev/null && GEN=(-G Ninja)
ARGS=(--CDNODE_API_HEADERS_DIR="$NAPI_INC" --CDNODE_ADDON_API_DIR="$ADDON_INC" --CDCMAKE_BUILD_TYPE=Release)
[ -n "$TORCH_PREFIX" ] && ARGS+=(--CDCMAKE_PREFIX_PATH="$TORCH_PREFIX")

t0=$(date +%s)
node_modules/.bin/cmake-js configure --out "$BUILD_DIR" "${GEN[@]}" "${ARGS[@]}" >&2
t1=$(date +%s)
CMAKE_BUILD_PARALLEL_LEVEL="$JOBS" cmake --build "$BUILD_DIR" --config Release -j "$JOBS" >&2
t2=$(date +%s)
OUT="$ROOT/build/Release/embedforge.node"
if [ "$BUILD_DIR" != "build" ]; then mkdir -p "$(dirname "$OUT")" && cp "$BUILD_DIR/Release/embedforge.node" "$OUT"; fi
[ -f "$OUT" ] || { echo "build-native: $OUT was not produced" >&2; exit 1; }
echo "build-native: configure $((t1 - t0))s, build $((t2 - t1))s, $(du -h "$OUT" | cut -f1) at $OUT" >&2
