"""Runs ../shared/device/packed_reference.py (the expert's packed PyTorch step; copied to .device/ by
prepare-device.sh) with only some of its variants, so that the quick GPU run can skip the eager ones:

    python3 packed_reference_variants.py PATH/packed_reference.py compiled|eager|eager,compiled

The script is run as written except for its loop over variants, `for compiled in (False, True):`, which is
replaced by the chosen ones; if that line is not found exactly once the script refuses rather than guess.
"""
import sys

path, variants = sys.argv[1], sys.argv[2].split(",")
unknown = sorted(set(variants) - {"eager", "compiled"})
if unknown:
    sys.exit(f"unknown variants {unknown}: choose eager and/or compiled")
source = open(path).read()
loop = "for compiled in (False, True):"
if source.count(loop) != 1:
    sys.exit(f"{path}: expected the line '{loop}' once; the reference changed, run it directly")
chosen = tuple(v == "compiled" for v in ("eager", "compiled") if v in variants)
source = source.replace(loop, f"for compiled in {chosen!r}:")
sys.argv = [path]
exec(compile(source, path, "exec"), {"__name__": "__main__", "__file__": path})
