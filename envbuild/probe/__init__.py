"""Inventory a Python environment. Standard library only; runs under any Python >= 3.8.

Sent to a place's Python on stdin (`python3 -I -S - [--files]`, over `docker exec`, `docker run` or
`ssh`: adapters/places.probe_source() bundles this package's modules into one script), or imported.
Prints one JSON object: the interpreter, the OS, every distribution on sys.path in precedence order
(shadowed and duplicate copies included), the GPU stack as far as it can be read without importing
anything heavy, and - with --files - every file of the site directories hashed right where it is
(manifest.py), each distribution's files checked against its RECORD (the verdicts and the hashes
travel back, never the files). What it cannot read it reports under "problems"; it
never crashes on a broken environment.

ENVBUILD_PROBE_ROOT (default "/") is where /proc, /sys and /etc/envbuild are read from, so tests can
plant a fake NVIDIA driver.

It runs none of the inspected environment's code: envbuild starts it with `-I -S` (no site, no
PYTHONPATH, no user site, no current directory), and it computes the search path the way site.py
would - the interpreter's stdlib, then the venv's, the user's and the system's site directories,
then the directories their .pth files name - reading each .pth file as data: its path lines are
followed, its `import` lines are reported, never executed. What it reports, envbuild checks against
the lock on its own side; the probe's verdicts are hints.

Modules, in the order the bundle loads them (each imports only those before it): common, facts,
paths, dists, hashing, manifest, system, main (adapters/places.PROBE_MODULES). None imports anything of envbuild
outside this package.
"""

from .main import collect, main
from .system import conda_packages, gpu

__all__ = ["collect", "conda_packages", "gpu", "main"]
