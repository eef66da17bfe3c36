"""Runs a reference script as on a machine where some packages are not installed (the GPU machine has no
`datasets` and no `accelerate`): they are hidden from import and from importlib.metadata, so libraries that
probe for them (transformers does) see them absent, then the script runs as __main__.

  python without_packages.py datasets,accelerate SCRIPT.py [script arguments...]
"""
import importlib.machinery, os, runpy, sys


class Hiding:
    """Stands in for the path finder: finds nothing, and lists no distribution, of the hidden packages."""

    def __init__(self, inner, hidden):
        self.inner, self.hidden = inner, hidden

    def find_spec(self, name, path=None, target=None):
        return None if name.split(".")[0] in self.hidden else self.inner.find_spec(name, path, target)

    def find_distributions(self, *args, **kwargs):
        return (d for d in self.inner.find_distributions(*args, **kwargs)
                if (d.metadata["Name"] or "").lower().replace("-", "_") not in self.hidden)

    def invalidate_caches(self):
        self.inner.invalidate_caches()


if len(sys.argv) < 3:
    sys.exit(__doc__)
hidden = set(sys.argv[1].split(","))
present = [name for name in hidden if name in sys.modules]
if present:
    sys.exit(f"without_packages: {present} already imported")
sys.meta_path = [Hiding(f, hidden) if f is importlib.machinery.PathFinder else f for f in sys.meta_path]
script = sys.argv[2]
sys.argv = sys.argv[2:]
sys.path[0] = os.path.dirname(os.path.abspath(script))
runpy.run_path(script, run_name="__main__")
