#!/usr/bin/env bash
# Run HERE, before a `device` call: fills the git-ignored .device/ folder with what the GPU machine lacks
# (it has PyTorch 2.11 + CUDA 13, sentence-transformers, cmake and ninja, but no Node.js and no network):
# the Node.js binary, the compiled TypeScript, the runtime npm packages and the Node-API headers, the real
# tokenizers/configs and data the checks use. Then call the device with carry [".device"] and the command
# `bash scripts/gpu/gpu-run.sh "$OUT"`.
set -euo pipefail
cd "$(dirname "$0")/../.."
SHARED="${EMBEDFORGE_SHARED:-../shared}"
D=.device  # git-ignored (.gitignore)
bash scripts/setup.sh
rm -rf "$D/dist" "$D/node_modules" "$D/models" "$D/data"
mkdir -p "$D/node_modules" "$D/models" "$D/data"
cp "$SHARED/device/node-v20.20.2-linux-x64.xz" "$D/" 2>/dev/null || [ -f "$D/node-v20.20.2-linux-x64.xz" ]
# The benchmark's references (scripts/gpu/bench.js): sentence-transformers' step and the packed PyTorch step.
cp "$SHARED/device/st_anchor.py" "$SHARED/device/packed_reference.py" "$D/"
cp -r dist "$D/dist"
# Runtime dependencies (package.json "dependencies") and the build-time headers; no dev tooling.
for dir in $(npm ls --omit=dev --all --parseable 2>/dev/null | sed "s|^$PWD/||" | grep '^node_modules/') \
           node_modules/node-addon-api node_modules/node-api-headers; do
  mkdir -p "$D/$(dirname "$dir")"
  cp -r "$dir" "$D/$dir"
done
for m in bge-base-en-v1.5 all-MiniLM-L6-v2; do
  mkdir -p "$D/models/$m"
  (cd "$SHARED/data/models/$m" && cp -r --parents $(ls | grep -v README.md) "$OLDPWD/$D/models/$m/")
done
cp -r "$SHARED/data/legal-anchor-positive" "$SHARED/data/llamaindex-10k-uber-lyft" "$D/data/"
du -sh "$D"
