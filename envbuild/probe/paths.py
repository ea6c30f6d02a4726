"""The interpreter, the OS and the search path, computed the way site.py would (never by running it). Standard library only; Python >= 3.8."""

import os
import platform
import sys

from .common import listdir, read_text


def venv_prefix():
    """The venv this interpreter belongs to, found as site.py finds it (pyvenv.cfg beside the
    executable or one level up), and whether it sees the system site-packages. Under -S, Pythons
    before 3.11 never set sys.prefix to the venv themselves."""
    exe_dir = os.path.dirname(os.path.abspath(sys.executable))
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


def interpreter():
    venv = venv_prefix()[0]
    libc_name, libc_version = platform.libc_ver()
    machine = platform.machine()
    musl = [n for n in listdir("/lib") if n.startswith("ld-musl-")]
    info = {
        "version": platform.python_version(),
        "implementation": sys.implementation.name,
        "executable": sys.executable,
        "prefix": venv or sys.prefix,
        "base_prefix": getattr(sys, "base_prefix", sys.prefix),
        "in_venv": venv is not None,
        "machine": machine,
        "system": platform.system().lower(),
        "libc": "musl" if musl else (libc_name or "unknown"),
        "libc_version": libc_version if not musl else "",
    }
    if info["libc"] == "glibc" and libc_version:
        major, minor = (int(p) for p in libc_version.split(".")[:2])
        info["platform_tags"] = ["manylinux_%d_%d_%s" % (major, m, machine) for m in range(minor, 16, -1)] + \
            ["linux_" + machine]
    else:
        info["platform_tags"] = ["linux_" + machine] if info["system"] == "linux" else []
    return info


def os_release(root):
    fields = {}
    for path in ("etc/os-release", "usr/lib/os-release"):
        try:
            text = read_text(os.path.join(root, path))
        except OSError:
            continue
        for line in text.splitlines():
            key, sep, value = line.partition("=")
            if sep and key in ("ID", "VERSION_ID", "PRETTY_NAME"):
                fields[key.lower()] = value.strip().strip('"')
        break
    return fields


def _stdlib_path():
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


def site_dirs():
    """The site directories site.py would add, in its order: the venv's, the user's, the system's."""
    import site

    venv, system_site = venv_prefix()
    dirs = []
    if venv:  # as site.venv() does; spelled out, since Debian's getsitepackages asks sys.prefix whether
        # this is a venv, and under -S sys.prefix is not always the venv's yet
        version = "python%d.%d" % sys.version_info[:2]
        libdirs = list(dict.fromkeys([getattr(sys, "platlibdir", "lib"), "lib"]))
        dirs += [os.path.join(venv, libdir, version, "site-packages") for libdir in libdirs]
        dirs += site.getsitepackages([venv])
    if system_site and hasattr(os, "geteuid") and os.geteuid() == os.getuid():
        try:
            dirs.append(site.getusersitepackages())
        except Exception:  # noqa: BLE001 - a broken HOME must not stop the inventory
            pass
    if system_site:
        dirs += site.getsitepackages(list(dict.fromkeys([sys.base_prefix, sys.base_exec_prefix]))
                                     if venv else None)
    out = []
    for d in dirs:
        full = os.path.abspath(d)
        if full not in out and os.path.isdir(full):
            out.append(full)
    return out


_PTH_LIMIT = 1 << 20


def search_path(problems):
    """(path, site directories, .pth reports): sys.path as site.py would build it. Each site
    directory's *.pth files, in name order: a path line adds that directory if it exists; an
    `import` line is what site.py would exec - reported, never run."""
    path = _stdlib_path()
    sites = site_dirs()
    pth = []
    for site_dir in sites:
        if site_dir not in path:
            path.append(site_dir)
        for name in listdir(site_dir):
            if not name.endswith(".pth"):
                continue
            full = os.path.join(site_dir, name)
            try:
                text = read_text(full, _PTH_LIMIT)
            except OSError as exc:
                problems.append({"path": full, "problem": "cannot read: %s" % (exc.strerror or exc)})
                continue
            report = {"path": full, "exec": [], "added": []}
            for line in text.splitlines():
                if line.startswith("#") or not line.strip():
                    continue
                if line.startswith(("import ", "import\t")):
                    report["exec"].append(line[:300])
                    continue
                added = os.path.abspath(os.path.join(site_dir, line.rstrip()))
                if added not in path and os.path.isdir(added):
                    path.append(added)
                    report["added"].append(added)
            pth.append(report)
    return path, sites, pth


def _module_entry(location, name):
    """A top-level importable name from a directory entry, and what it is; (None, None) otherwise."""
    full = os.path.join(location, name)
    if os.path.isdir(full):
        if not name.isidentifier():
            return None, None
        return name, "package" if os.path.isfile(os.path.join(full, "__init__.py")) else "namespace"
    stem = name.split(".", 1)[0]
    if stem.isidentifier() and name.endswith((".py", ".pyc", ".so")):  # _x.cpython-311-x86_64-linux-gnu.so too
        return stem, "module"
    return None, None


def stdlib_names():
    names = set(getattr(sys, "stdlib_module_names", ())) | set(sys.builtin_module_names)
    if not getattr(sys, "stdlib_module_names", None):  # Python < 3.10: list the stdlib itself
        for entry in _stdlib_path():
            for name in listdir(entry):
                module, _kind = _module_entry(entry, name)
                if module:
                    names.add(module)
    names.discard("__pycache__")
    return names


def shadowing(path):
    """Top-level names that more than one non-stdlib entry of the path provides (the first one wins),
    or that a site directory provides although the standard library has them."""
    stdlib = set(_stdlib_path())
    std_names = stdlib_names()
    where = {}
    for location in path:
        if location in stdlib:
            continue
        for name in listdir(location):
            module, kind = _module_entry(location, name)
            if module and module != "__pycache__":
                where.setdefault(module, []).append({"location": location, "entry": name, "kind": kind})
    out = []
    for module in sorted(where):
        found = where[module]
        regular = [f for f in found if f["kind"] != "namespace"]
        if module in std_names or (regular and len({f["location"] for f in found}) > 1
                                   and found[0]["kind"] != "namespace"):
            out.append({"name": module, "stdlib": module in std_names, "found": found})
    return out
