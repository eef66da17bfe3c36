#!/usr/bin/env bash
# The one call on the GPU machine: build the addon against that machine's PyTorch (2.11 + CUDA 13),
# run the GPU checks (parity with sentence-transformers, out-of-memory handling, throughput beside it),
# keep full logs in OUTDIR and print a short table last.
#
# Here, first:   bash scripts/gpu/prepare-device.sh
# Then:          device run, carry [".device"], command: bash scripts/gpu/gpu-run.sh "$OUT"
# Dry run here:  bash scripts/gpu/gpu-run.sh --dry-run /tmp/gpu-dry   (CPU, tiny shapes, same code paths)
# At real sizes the checks may outlast one 10-minute call: split them with EMBEDFORGE_CHECKS, e.g.
#   EMBEDFORGE_CHECKS=embeddings,irMetrics,outOfMemory,throughput bash scripts/gpu/gpu-run.sh "$OUT"
#   EMBEDFORGE_CHECKS=training,tutorials bash scripts/gpu/gpu-run.sh "$OUT"   (the build is reused while warm)
set -euo pipefail
cd "$(dirname "$0")/../.."
DRY=0
if [ "${1:-}" = "--dry-run" ]; then DRY=1; shift; fi
OUTDIR="${1:-${OUT:-/tmp/embedforge-gpu}}"
mkdir -p "$OUTDIR"
LOG="$OUTDIR/run.log"
exec > >(tee -a "$LOG") 2>&1
say() { echo "gpu-run: $*"; }

if [ "$DRY" = 1 ]; then
  PY="$(bash scripts/setup-python.sh)/bin/python"
  bash scripts/setup.sh
  DEVICE=cpu; EXTRA=(--quick --models ../shared/data/models --data ../shared/data)
else
  PY=python3
  # Node.js and the runtime packages travel in .device (scripts/gpu/prepare-device.sh).
  mkdir -p /tmp/bin
  [ -x /tmp/bin/node ] || xz -dc .device/node-v20.20.2-linux-x64.xz > /tmp/bin/node
  chmod +x /tmp/bin/node
  export PATH=/tmp/bin:$PATH
  [ -e node_modules ] || ln -s .device/node_modules node_modules
  [ -e dist ] || ln -s .device/dist dist
  TORCH_CMAKE=$("$PY" -c 'import torch.utils; print(torch.utils.cmake_prefix_path)')
  t0=$(date +%s)
  [ -f /tmp/embedforge-build/Release/embedforge.node ] ||
  cmake -S . -B /tmp/embedforge-build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$TORCH_CMAKE" \
    -DNODE_API_HEADERS_DIR="$PWD/node_modules/node-api-headers/include" -DNODE_ADDON_API_DIR="$PWD/node_modules/node-addon-api" \
    > "$OUTDIR/cmake-configure.log"
  cmake --build /tmp/embedforge-build -j 16 > "$OUTDIR/cmake-build.log"
  mkdir -p build/Release
  cp /tmp/embedforge-build/Release/embedforge.node build/Release/embedforge.node
  say "addon built in $(( $(date +%s) - t0 ))s"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$OUTDIR/nvidia-smi.csv" || true
  DEVICE=cuda; EXTRA=(--models .device/models --data .device/data)
fi
say "node $(node --version), $("$PY" -c 'import torch, sentence_transformers as s; print("torch", torch.__version__, "sentence-transformers", s.__version__)')"
node scripts/gpu/checks.js --out "$OUTDIR" --device "$DEVICE" --python "$PY" "${EXTRA[@]}"
