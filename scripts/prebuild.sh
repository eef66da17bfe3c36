#!/usr/bin/env bash
# Builds the prebuilt addon that the npm package ships for one PyTorch minor version:
#   prebuilds/<platform>-<arch>/embedforge.torch<major>.<minor>.node
# linked portably (CMakeLists.txt, EMBEDFORGE_PORTABLE): no rpath, no CUDA library, so the one binary serves the
# CPU and the CUDA wheels of that minor version; lib/binding/addon.ts preloads the user's LibTorch before it.
# The PyTorch built against: EMBEDFORGE_PYTHON's, else the project's virtualenv (scripts/setup-python.sh).
# Run it once per Python/PyTorch to ship several minor versions; `npm pack` runs it (prepack) for this machine's.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${EMBEDFORGE_PYTHON:-$(bash scripts/setup-python.sh | tail -n 1)/bin/python}"
read -r TORCH_DIR TORCH_VERSION < <("$PY" -c 'import os, torch; print(os.path.dirname(torch.__file__), torch.__version__)')
MINOR="$(echo "$TORCH_VERSION" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')"
PLATFORM="$(node -p 'process.platform + "-" + process.arch')"
OUT="prebuilds/$PLATFORM/embedforge.torch$MINOR.node"
echo "prebuild: PyTorch $TORCH_VERSION at $TORCH_DIR -> $OUT" >&2
# A stale prebuild is worse than none: skip the build only when the binary is newer than every source.
if [ -f "$OUT" ] && [ -z "$(find native CMakeLists.txt scripts/build-native.sh -newer "$OUT" -print -quit)" ]; then
  echo "prebuild: $OUT is up to date" >&2
  exit 0
fi
if [ -n "${EMBEDFORGE_PYTHON:-}" ]; then
  # Another PyTorch than the local build's: its own CMake tree.
  env -u Torch_DIR LIBTORCH="$TORCH_DIR" EMBEDFORGE_PORTABLE=1 EMBEDFORGE_BUILD_DIR="build/prebuild-torch$MINOR" \
    EMBEDFORGE_OUT="$OUT" bash scripts/build-native.sh
else
  # The virtualenv's PyTorch, as the local build: the same CMake tree, so only the link is new.
  env -u Torch_DIR -u LIBTORCH EMBEDFORGE_PORTABLE=1 EMBEDFORGE_OUT="$OUT" bash scripts/build-native.sh
fi
# The promise of a prebuild: nothing of this machine's paths in its dynamic section.
if readelf -d "$OUT" | grep -E 'RPATH|RUNPATH'; then
  echo "prebuild: $OUT has an rpath; it would not be portable" >&2
  exit 1
fi
# What it asks of the user's C libraries: the newest glibc and libstdc++ symbol versions it needs (this machine's
# compiler sets them; on an older system the loader's test load fails and it builds from source instead).
NEEDS="$(readelf -W --dyn-syms "$OUT" | grep -o '@GLIBC_[0-9.]*\|@GLIBCXX_[0-9.]*' | sed 's/@//; s/_\([0-9]\)/ \1/' |
  sort -k1,1 -k2,2V | awk '{m[$1]=$2} END {for (k in m) printf "%s_%s ", k, m[k]}')"
echo "prebuild: $OUT ($(du -h "$OUT" | cut -f1)) needs ${NEEDS}and PyTorch $MINOR" >&2
