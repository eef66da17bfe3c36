#!/usr/bin/env bash
# The one call on the GPU machine: build the addon against that machine's PyTorch (2.11 + CUDA 13),
# run the GPU checks (parity with sentence-transformers, out-of-memory handling, throughput beside it)
# and/or the benchmark table (scripts/gpu/bench.js), keep full logs in OUTDIR and print a short table last.
#
# Here, first:   bash scripts/gpu/prepare-device.sh
# Then:          device run, carry [".device"], command: bash scripts/gpu/gpu-run.sh --quick "$OUT"
# Modes:
#   --quick   build, the core parity checks (checks.js --core) and the benchmark table (bench.js --profile
#             quick), within 8 minutes of an H100/H200; parts that would run past that are skipped and say so.
#   --bench   build and the full benchmark table only (bench.js --profile full; about 8-10 minutes).
#   (none)    build and every check of checks.js at real sizes (may outlast one 10-minute call: split them
#             with EMBEDFORGE_CHECKS, e.g. EMBEDFORGE_CHECKS=embeddings,irMetrics,outOfMemory,throughput, then
#             EMBEDFORGE_CHECKS=training,tutorials; the build is reused while the machine is warm).
# Dry run here:  bash scripts/gpu/gpu-run.sh --dry-run [--quick|--bench] /tmp/gpu-dry   (CPU, tiny shapes, same code paths)
#
# Quick mode's budget (H100 figures of ../shared/device/README.md, rounded up): build 60-90 s; core checks
# about 70 s (two model folders, encode 128 texts twice, 2 x 10 training steps beside the reference loop);
# benchmark: sentence-transformers at 64 and 128 (30 steps and 8192 encodes each, about 30 s a run), ours at
# 64/128/256 (about 15-30 s a run), the torch.compile reference at 64/128/256 (compilation dominates: about
# 150 s), CachedMNRL at 16,384 for 2 timed steps (about 40 s): about 7.5 minutes in all. bench.js is given the
# time left (EMBEDFORGE_DEADLINE) and skips what would not fit, in its stated order, rather than be killed.
set -euo pipefail
cd "$(dirname "$0")/../.."
DRY=0; MODE=all
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) DRY=1; shift ;;
    --quick) MODE=quick; shift ;;
    --bench) MODE=bench; shift ;;
    *) break ;;
  esac
done
OUTDIR="${1:-${OUT:-/tmp/embedforge-gpu}}"
mkdir -p "$OUTDIR"
LOG="$OUTDIR/run.log"
exec > >(tee -a "$LOG") 2>&1
say() { echo "gpu-run: $*"; }
START=$(date +%s)
# The whole quick run must end within 8 minutes: bench.js stops starting parts past this moment.
export EMBEDFORGE_DEADLINE="${EMBEDFORGE_DEADLINE:-$((START + 470))}"

if [ "$DRY" = 1 ]; then
  PY="$(bash scripts/setup-python.sh)/bin/python"
  # EMBEDFORGE_SKIP_SETUP=1: the caller has built the addon and dist/ (the dry-run test does, under its build lock).
  [ "${EMBEDFORGE_SKIP_SETUP:-0}" = 1 ] || bash scripts/setup.sh
  DEVICE=cpu; EXTRA=(--quick --models ../shared/data/models --data ../shared/data)
  ANCHOR=../shared/device/st_anchor.py; REFERENCE=../shared/device/packed_reference.py; PROFILE=dry
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
  [ -f /tmp/embedforge-build/build.ninja ] ||
  cmake -S . -B /tmp/embedforge-build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$TORCH_CMAKE" \
    -DNODE_API_HEADERS_DIR="$PWD/node_modules/node-api-headers/include" -DNODE_ADDON_API_DIR="$PWD/node_modules/node-addon-api" \
    > "$OUTDIR/cmake-configure.log"
  cmake --build /tmp/embedforge-build -j 16 > "$OUTDIR/cmake-build.log"
  mkdir -p build/Release
  cp /tmp/embedforge-build/Release/embedforge.node build/Release/embedforge.node
  say "addon built in $(( $(date +%s) - t0 ))s"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$OUTDIR/nvidia-smi.csv" || true
  DEVICE=cuda; EXTRA=(--models .device/models --data .device/data)
  ANCHOR=.device/st_anchor.py; REFERENCE=.device/packed_reference.py; PROFILE=quick
fi
say "node $(node --version), $("$PY" -c 'import torch, sentence_transformers as s; print("torch", torch.__version__, "sentence-transformers", s.__version__)')"
node -e "const i = require('./dist').loadAddon().deviceInfo(); console.log('gpu-run: addon sees', JSON.stringify(i))"

STATUS=0
case "$MODE" in
  all)
    node scripts/gpu/checks.js --out "$OUTDIR" --device "$DEVICE" --python "$PY" "${EXTRA[@]}" || STATUS=$? ;;
  quick)
    node scripts/gpu/checks.js --out "$OUTDIR" --device "$DEVICE" --python "$PY" "${EXTRA[@]}" --core \
      --only "${EMBEDFORGE_CHECKS:-embeddings,training}" || STATUS=$?
    say "core checks done at $(( $(date +%s) - START ))s"
    node scripts/gpu/bench.js --out "$OUTDIR" --profile "$PROFILE" --device "$DEVICE" --python "$PY" \
      --anchor "$ANCHOR" --reference "$REFERENCE" || STATUS=$? ;;
  bench)
    [ "$DRY" = 1 ] || PROFILE=full
    unset EMBEDFORGE_DEADLINE
    node scripts/gpu/bench.js --out "$OUTDIR" --profile "$PROFILE" --device "$DEVICE" --python "$PY" \
      --anchor "$ANCHOR" --reference "$REFERENCE" || STATUS=$? ;;
esac
if [ "$MODE" = quick ] && [ -f "$OUTDIR/summary.txt" ]; then echo; cat "$OUTDIR/summary.txt"; echo; cat "$OUTDIR/bench.txt" 2>/dev/null || true; fi
say "$MODE mode took $(( $(date +%s) - START ))s (exit $STATUS)"
exit "$STATUS"
