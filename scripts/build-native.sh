#!/usr/bin/env bash
# Builds the native addon (build/Release/embedforge.node) with cmake-js against LOCAL headers only.
# EMBEDFORGE_PORTABLE=1 builds instead the relocatable addon that scripts/prebuild.sh ships (CMakeLists.txt's
# embedforge_portable: no rpath, no CUDA library) to EMBEDFORGE_OUT, from the same objects.
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

# Resolved as Node resolves them, so this also works from an installed package (hoisted node_modules).
need() { echo "build-native: $1 is missing: npm install --no-save cmake-js node-addon-api node-api-headers (and a C++17 compiler, cmake)" >&2; exit 1; }
CMAKE_JS="$(node -p "require.resolve('cmake-js/bin/cmake-js')" 2>/dev/null)" || need cmake-js
command -v cmake >/dev/null || need cmake
NAPI_INC="$(node -p "require('node-api-headers').include_dir" 2>/dev/null)" || need node-api-headers
# napi.h sits at node-addon-api's root (its include_dir is relative to the current directory).
ADDON_INC="$(dirname "$(node -p "require.resolve('node-addon-api/package.json')" 2>/dev/null)")" && [ -f "$ADDON_INC/napi.h" ] || need node-addon-api

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
node "$CMAKE_JS" configure --out "$BUILD_DIR" "${GEN[@]}" "${ARGS[@]}" >&2
t1=$(date +%s)
if [ "${EMBEDFORGE_PORTABLE:-0}" = 1 ]; then
  TARGET=(--target embedforge_portable); BUILT="$BUILD_DIR/Portable/embedforge.node"
  OUT="${EMBEDFORGE_OUT:?EMBEDFORGE_PORTABLE=1 needs EMBEDFORGE_OUT}"
else
  TARGET=(); BUILT="$BUILD_DIR/Release/embedforge.node"; OUT="$ROOT/build/Release/embedforge.node"
fi
CMAKE_BUILD_PARALLEL_LEVEL="$JOBS" cmake --build "$BUILD_DIR" --config Release -j "$JOBS" "${TARGET[@]}" >&2
t2=$(date +%s)
case "$OUT" in /*) ;; *) OUT="$ROOT/$OUT" ;; esac
if [ ! "$BUILT" -ef "$OUT" ]; then mkdir -p "$(dirname "$OUT")" && cp "$BUILT" "$OUT"; fi
[ -f "$OUT" ] || { echo "build-native: $OUT was not produced" >&2; exit 1; }
echo "build-native: configure $((t1 - t0))s, build $((t2 - t1))s, $(du -h "$OUT" | cut -f1) at $OUT" >&2
