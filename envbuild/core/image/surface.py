"""What Python loads at start-up in an image, and where it lies: the trees that envbuild hashes from
outside a container or an image (the engine's export stream) and records in a build manifest. Pure.

Every file an interpreter reads before the workload's first line can change what it computes: the
environment's prefix, the interpreter and its shared library, the standard library (Debian's
`sitecustomize` lives in /etc/python3.X), the site directories outside the prefix, the user site of
each home, and /etc/ld.so.preload (a library loaded into every process, the probe's included). A
change anywhere there is drift, whatever the files themselves say. Nothing else of the image is in:
a container writes its home, /tmp and /var as it runs, and that is not drift.

Each tree is (its directory, the names it takes there): the directory may hold a glob (every home);
the names are globs of its first component. A path's tree is its key (the directory found) and the
rest of the path, relative to it.
"""

from __future__ import annotations

import fnmatch
import posixpath

from envbuild.core.layout import CONDA_PREFIX, EMBEDDED_DIR, VENV

PREFIXES = (VENV, CONDA_PREFIX, EMBEDDED_DIR)  # what envbuild fills; the rest of the surface is its base's
SURFACE: tuple[tuple[str, str], ...] = (
    *((prefix, "*") for prefix in PREFIXES),
    ("/usr/bin", "python3*"),
    ("/usr/local/bin", "python3*"),
    ("/usr/lib", "python3*"),
    ("/usr/local/lib", "python3*"),
    ("/usr/local/lib", "libpython3*"),
    ("/usr/lib/*-linux-gnu", "libpython3*"),
    ("/etc", "python3*"),
    ("/etc", "ld.so.preload"),
    ("/root/.local/lib", "python3*"),
    ("/home/*/.local/lib", "python3*"),
)
_DEPTHS = tuple((directory.count("/"), directory, names) for directory, names in SURFACE)


def tree_of(path: str) -> tuple[str, str] | None:
    """(tree key, path relative to it) of an absolute path on the start-up surface; None off it.
    A path through `..` or `.` is normalised first (an export stream's names are relative and clean)."""
    path = posixpath.normpath("/" + path.lstrip("/"))
    parts = path.split("/")
    for depth, directory, names in _DEPTHS:
        if len(parts) <= depth + 1:
            continue
        key = "/".join(parts[:depth + 1])
        if fnmatch.fnmatchcase(key, directory) and fnmatch.fnmatchcase(parts[depth + 1], names):
            return key, "/".join(parts[depth + 1:])
    return None


def group_of(path: str) -> str | None:
    """What a change at ``path`` is reported under: the tree of a prefix (/opt/venv), else the
    entry the tree takes (/usr/lib/python3.11, /usr/bin/python3.11, /etc/ld.so.preload)."""
    where = tree_of(path)
    if where is None:
        return None
    key, rel = where
    whole = any(names == "*" and fnmatch.fnmatchcase(key, directory) for _, directory, names in _DEPTHS)
    return key if whole else f"{key}/{rel.split('/', 1)[0]}"


def on_surface(path: str) -> bool:
    return tree_of(path) is not None


def startup_module(rel: str) -> bool:
    """A module that site.py imports by name at every start, wherever it lies on the path."""
    name = posixpath.basename(rel)
    return name.split(".", 1)[0] in ("sitecustomize", "usercustomize") and name.endswith((".py", ".pyc", ".so"))
