"""The interpreter the probe describes, as plain data: everything it would otherwise read from sys,
site and platform. Standard library only; Python >= 3.8.

Run by that interpreter (`--facts`), they are what envbuild caches (adapters/interpreters.py), so
that the rest of the probe - which only reads files - can run in envbuild's own process for a
local interpreter without starting it each time. Nothing here depends on the environment's
installed packages: those are read afresh on every run.
"""

import os
import sys

from .common import read_text, scan


def venv_of(executable):
    """The venv an interpreter belongs to, found as site.py finds it (pyvenv.cfg beside the
    executable or one level up), and whether it sees the system site-packages. Under -S, Pythons
    before 3.11 never set sys.prefix to the venv themselves."""
    exe_dir = os.path.dirname(os.path.abspath(executable))
    for candidate in (os.path.join(exe_dir, "pyvenv.cfg"), os.path.join(os.path.dirname(exe_dir), "pyvenv.cfg")):
        if os.path.isfile(candidate):
            system_site = "true"
            try:
                for line in read_text(candidate, 65536).splitlines():
                    key, sep, value = line.partition("=")
                    if sep and key.strip().lower() == "include-system-site-packages":
                        system_site = value.strip().lower()
            except OSError:
                pass
            return os.path.dirname(exe_dir), system_site == "true"
    return None, True


def stdlib_path():
    """The interpreter's own entries of sys.path (stdlib zip, stdlib, lib-dynload): under -I -S that
    is all of sys.path; imported in-process, the site and PYTHONPATH entries are left out."""
    bases = {os.path.abspath(p) for p in (sys.base_prefix, sys.base_exec_prefix)}
    out = []
    for entry in sys.path:
        if not entry:
            continue
        full = os.path.abspath(entry)
        if "site-packages" in full or "dist-packages" in full:
            continue
        if any(full == b or full.startswith(b.rstrip("/") + "/") for b in bases) and full not in out:
            out.append(full)
    return out


def module_entry(location, name, is_dir):
    """A top-level importable name from a directory entry, and what it is; (None, None) otherwise.
    ``is_dir``: whether it is a directory (or a link to one), as the listing (common.scan) said."""
    full = os.path.join(location, name)
    if is_dir:
        if not name.isidentifier():
            return None, None
        return name, "package" if os.path.isfile(os.path.join(full, "__init__.py")) else "namespace"
    stem = name.split(".", 1)[0]
    if stem.isidentifier() and name.endswith((".py", ".pyc", ".so")):  # _x.cpython-311-x86_64-linux-gnu.so too
        return stem, "module"
    return None, None


def stdlib_names(path):
    names = set(getattr(sys, "stdlib_module_names", ())) | set(sys.builtin_module_names)
    if not getattr(sys, "stdlib_module_names", None):  # Python < 3.10: list the stdlib itself
        for entry in path:
            for name, is_dir in scan(entry):
                module, _kind = module_entry(entry, name, is_dir)
                if module:
                    names.add(module)
    names.discard("__pycache__")
    return names


def own_facts():
    """This interpreter's facts (JSON-ready)."""
    import platform
    import site

    venv, system_site = venv_of(sys.executable)
    venv_sites = []
    if venv:  # as site.venv() does; spelled out, since Debian's getsitepackages asks sys.prefix whether
        # this is a venv, and under -S sys.prefix is not always the venv's yet
        version = "python%d.%d" % sys.version_info[:2]
        libdirs = list(dict.fromkeys([getattr(sys, "platlibdir", "lib"), "lib"]))
        venv_sites = [os.path.join(venv, libdir, version, "site-packages") for libdir in libdirs]
        venv_sites += site.getsitepackages([venv])
    user_site = None
    if hasattr(os, "geteuid") and os.geteuid() == os.getuid():
        try:
            user_site = site.getusersitepackages()
        except Exception:  # noqa: BLE001 - a broken HOME must not stop the inventory
            pass
    system_sites = site.getsitepackages(list(dict.fromkeys([sys.base_prefix, sys.base_exec_prefix])) if venv else None)
    libc_name, libc_version = platform.libc_ver()
    path = stdlib_path()
    return {
        "executable": sys.executable,
        "version": platform.python_version(),
        "implementation": sys.implementation.name,
        "prefix": sys.prefix,
        "base_prefix": getattr(sys, "base_prefix", sys.prefix),
        "venv": venv,
        "system_site": system_site,
        "machine": platform.machine(),
        "system": platform.system().lower(),
        "libc": libc_name,
        "libc_version": libc_version,
        "stdlib_path": path,
        "stdlib_names": sorted(stdlib_names(path)),
        "venv_sites": venv_sites,
        "user_site": user_site,
        "system_sites": list(system_sites),
    }
