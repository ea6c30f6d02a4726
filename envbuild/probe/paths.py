"""The interpreter, the OS and the search path, computed from the interpreter's facts (facts.py) the way site.py would (never by running it). Standard library only; Python >= 3.8."""

import os

from .common import listdir, read_text, scan
from .facts import module_entry


def interpreter(facts):
    venv = facts["venv"]
    libc_name, libc_version = facts["libc"], facts["libc_version"]
    machine = facts["machine"]
    musl = [n for n in listdir("/lib") if n.startswith("ld-musl-")]
    info = {
        "version": facts["version"],
        "implementation": facts["implementation"],
        "executable": facts["executable"],
        "prefix": venv or facts["prefix"],
        "base_prefix": facts["base_prefix"],
        "in_venv": venv is not None,
        "machine": machine,
        "system": facts["system"],
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


def site_dirs(facts):
    """The site directories site.py would add, in its order: the venv's, the user's, the system's."""
    dirs = list(facts["venv_sites"])
    if facts["system_site"] and facts["user_site"]:
        dirs.append(facts["user_site"])
    if facts["system_site"]:
        dirs += facts["system_sites"]
    out = []
    for d in dirs:
        full = os.path.abspath(d)
        if full not in out and os.path.isdir(full):
            out.append(full)
    return out


_PTH_LIMIT = 1 << 20


def pth_lines(text):
    # type: (str) -> tuple[list[str], list[str]]
    """(lines site.py would exec, lines it would add to the path) of a .pth file's text."""
    executed, paths = [], []  # type: list[str], list[str]
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        if line.startswith(("import ", "import\t")):
            executed.append(line[:300])
        else:
            paths.append(line.rstrip())
    return executed, paths


def search_path(problems, facts):
    """(path, site directories, .pth reports): sys.path as site.py would build it. Each site
    directory's *.pth files, in name order: a path line adds that directory if it exists; an
    `import` line is what site.py would exec - reported, never run."""
    path = list(facts["stdlib_path"])
    sites = site_dirs(facts)
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
            executed, paths = pth_lines(text)
            report = {"path": full, "exec": executed, "added": []}
            for line in paths:
                added = os.path.abspath(os.path.join(site_dir, line))
                if added not in path and os.path.isdir(added):
                    path.append(added)
                    report["added"].append(added)
            pth.append(report)
    return path, sites, pth


def customize(path):
    """Where site.py would import sitecustomize and usercustomize from: the first of each on the
    path (a module, a compiled one or a package), as [{"module", "path"}]. They run at every start."""
    found = []
    for module in ("sitecustomize", "usercustomize"):
        for location in path:
            hit = next((os.path.join(location, name) for name in (module + ".py", module + ".pyc", module)
                        if os.path.exists(os.path.join(location, name))), None)
            if hit:
                found.append({"module": module, "path": hit})
                break
    return found


def shadowing(path, facts):
    """Top-level names that more than one non-stdlib entry of the path provides (the first one wins),
    or that a site directory provides although the standard library has them."""
    stdlib = set(facts["stdlib_path"])
    std_names = set(facts["stdlib_names"])
    where = {}
    for location in path:
        if location in stdlib:
            continue
        for name, is_dir in scan(location):
            module, kind = module_entry(location, name, is_dir)
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
