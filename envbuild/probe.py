"""Inventory a Python environment. Standard library only; runs under any Python >= 3.8.

Run in place (`python3 - [--files] < probe.py`, over `docker exec`, `docker run` or `ssh`) or
imported. Prints one JSON object: the interpreter, the OS, every distribution on sys.path in
precedence order (shadowed and duplicate copies included), the GPU stack as far as it can be read
without importing anything heavy, and - with --files - each distribution's files checked against
its RECORD right where they are (only the verdicts travel back). What it cannot read it reports
under "problems"; it never crashes on a broken environment.

ENVBUILD_PROBE_ROOT (default "/") is where /proc, /sys and /etc/envbuild are read from, so tests can
plant a fake NVIDIA driver.

It runs none of the inspected environment's code: envbuild starts it with `-I -S` (no site, no
PYTHONPATH, no user site, no current directory), and it computes the search path the way site.py
would - the interpreter's stdlib, then the venv's, the user's and the system's site directories,
then the directories their .pth files name - reading each .pth file as data: its path lines are
followed, its `import` lines are reported, never executed. What it reports, envbuild checks against
the lock on its own side; the probe's verdicts are hints.

One file by necessity (it travels over stdin and imports nothing of envbuild), hence its length.
"""

import json
import os
import platform
import re
import sys

# base64, csv, hashlib and the worker pools are imported only for --files: the plain inventory stays fast.

PROBE_VERSION = 2
_NAME_RE = re.compile(r"[-_.]+")


def canonical(name):
    return _NAME_RE.sub("-", name).lower()


def _read(path, limit=None):
    with open(path, "rb") as handle:
        data = handle.read(limit) if limit else handle.read()
    return data.decode("utf-8", "replace")


def _headers(text):
    """Name and Version from METADATA / PKG-INFO: only the header block is read."""
    found = {}
    for line in text.splitlines():
        if not line.strip():
            break
        key, sep, value = line.partition(":")
        if sep and key in ("Name", "Version") and key not in found:
            found[key] = value.strip()
    return found


def venv_prefix():
    """The venv this interpreter belongs to, found as site.py finds it (pyvenv.cfg beside the
    executable or one level up), and whether it sees the system site-packages. Under -S, Pythons
    before 3.11 never set sys.prefix to the venv themselves."""
    exe_dir = os.path.dirname(os.path.abspath(sys.executable))
    for candidate in (os.path.join(exe_dir, "pyvenv.cfg"), os.path.join(os.path.dirname(exe_dir), "pyvenv.cfg")):
        if os.path.isfile(candidate):
            system_site = "true"
            try:
                for line in _read(candidate, 65536).splitlines():
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
    musl = [n for n in _listdir("/lib") if n.startswith("ld-musl-")]
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
            text = _read(os.path.join(root, path))
        except OSError:
            continue
        for line in text.splitlines():
            key, sep, value = line.partition("=")
            if sep and key in ("ID", "VERSION_ID", "PRETTY_NAME"):
                fields[key.lower()] = value.strip().strip('"')
        break
    return fields


def _listdir(path):
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []


# ---------------------------------------------------------------- the search path, without running site


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
        for name in _listdir(site_dir):
            if not name.endswith(".pth"):
                continue
            full = os.path.join(site_dir, name)
            try:
                text = _read(full, _PTH_LIMIT)
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
            for name in _listdir(entry):
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
        for name in _listdir(location):
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


def distributions(problems, path=None):
    """Every *.dist-info / *.egg-info on the path, first-found wins (later copies are shadowed)."""
    found = []
    seen = {}
    for entry in (sys.path if path is None else path):
        location = os.path.abspath(entry or os.getcwd())
        if not os.path.isdir(location):
            continue
        in_this_dir = {}
        for name in _listdir(location):
            if not (name.endswith(".dist-info") or name.endswith(".egg-info")):
                continue
            dist = _distribution(location, name, problems)
            if dist is None:
                continue
            key = dist["name"]
            if key in in_this_dir:
                dist["duplicate_of"] = in_this_dir[key]
            else:
                in_this_dir[key] = name
            if key in seen:
                dist["shadowed_by"] = seen[key]
            else:
                seen[key] = location
            found.append(dist)
    return found


def _distribution(location, name, problems):
    path = os.path.join(location, name)
    is_dist_info = name.endswith(".dist-info")
    meta_path = os.path.join(path, "METADATA" if is_dist_info else "PKG-INFO") if os.path.isdir(path) else path
    try:
        headers = _headers(_read(meta_path, 16384))
    except OSError as exc:
        problems.append({"path": path, "problem": "cannot read metadata: %s" % (exc.strerror or exc)})
        stem = name.rsplit(".", 1)[0]
        headers = {"Name": stem.split("-")[0], "Version": stem.split("-")[1] if "-" in stem else ""}
    if not headers.get("Name"):
        problems.append({"path": path, "problem": "metadata has no Name"})
        return None
    dist = {
        "name": canonical(headers["Name"]),
        "version": headers.get("Version", ""),
        "location": location,
        "metadata_dir": name,
        "format": "dist-info" if is_dist_info else "egg-info",
    }
    if is_dist_info:
        try:
            dist["installer"] = _read(os.path.join(path, "INSTALLER"), 256).strip()
        except OSError:
            pass
        try:
            direct = json.loads(_read(os.path.join(path, "direct_url.json")))
            dist["url"] = direct.get("url", "")
            dist["editable"] = bool(direct.get("dir_info", {}).get("editable"))
        except (OSError, ValueError):
            pass
        dist["has_record"] = os.path.isfile(os.path.join(path, "RECORD"))
        try:  # which variant of the wheel was installed: envbuild fetches that very file to compare
            dist["wheel_tags"] = [line.split(":", 1)[1].strip() for line in _read(os.path.join(path, "WHEEL"), 8192)
                                  .splitlines() if line.startswith("Tag:")]
        except OSError:
            pass
    return dist


def pth_owners(pth, dists):
    """Which distribution's installed RECORD lists each .pth file (None: none does). A hint: the
    RECORD is the environment's own claim; envbuild checks against the locked wheels with --files."""
    import csv

    for report in pth:
        site_dir, name = os.path.split(report["path"])
        report["owner"] = None
        key = canonical(name)
        # Likely owners first, so that the usual .pth files cost one RECORD read, not one per
        # distribution: the one named in the file's name (__editable__.x-1.0.pth, _virtualenv.pth),
        # then setuptools (distutils-precedence.pth).
        candidates = sorted((d for d in dists if d["location"] == site_dir and d.get("has_record")),
                            key=lambda d: (d["name"] not in key, d["name"] != "setuptools"))
        for dist in candidates:
            try:
                text = _read(os.path.join(site_dir, dist["metadata_dir"], "RECORD"))
            except OSError:
                continue
            if any(row and os.path.normpath(row[0]) == name for row in csv.reader(text.splitlines())):
                report["owner"] = dist["name"]
                break


def _record_rows(dist, problems):
    import csv

    path = os.path.join(dist["location"], dist["metadata_dir"], "RECORD")
    try:
        text = _read(path)
    except OSError as exc:
        problems.append({"path": path, "problem": "cannot read RECORD: %s" % (exc.strerror or exc)})
        return []
    rows = []
    for row in csv.reader(text.splitlines()):
        if len(row) >= 2 and row[1].startswith("sha256="):
            rows.append((os.path.normpath(os.path.join(dist["location"], row[0])), row[1][len("sha256="):],
                         row[2] if len(row) > 2 else ""))  # path, digest, size
    return rows


def _hash(path):
    import base64
    import hashlib

    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return "missing"
    except OSError:
        return "unreadable"
    try:
        size = os.fstat(fd).st_size
        digest = hashlib.sha256()
        while True:  # one read for most files: sized by fstat, at most 8 MiB at a time
            chunk = os.read(fd, min(max(size, 1), 8 << 20))
            if not chunk:
                break
            digest.update(chunk)
    except OSError:
        return "unreadable"
    finally:
        os.close(fd)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode("ascii")


def _hash_batch(paths):
    return [_hash(path) for path in paths]


def _pool(workers):
    """Processes where fork exists: hashing thousands of small files is Python work that threads
    serialise on the GIL (measured 0.72 s with processes vs 1.19 s with threads on 30k files, 2 cores).
    fork, not spawn: the probe may run from stdin, which a spawned child cannot import."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

    try:
        return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))
    except (ValueError, OSError, NotImplementedError):
        return ThreadPoolExecutor(max_workers=workers)


def check_files(dists, problems, workers=None, known=None):
    """RECORD verdicts per active distribution. A path that several distributions list (mlflow and
    mlflow-skinny) is modified only when it matches none of their hashes; each file is hashed once,
    on every core."""
    active = [d for d in dists if "shadowed_by" not in d and "duplicate_of" not in d and d.get("has_record")]
    rows = {d["name"]: _record_rows(d, problems) for d in active}
    expected = {}
    for entries in rows.values():
        for path, digest, _size in entries:
            expected.setdefault(path, set()).add(digest)
    known = known or {}
    actual = _hash_all(sorted(p for p in expected if p not in known), workers, _total(rows))
    actual.update((p, known[p]) for p in expected if p in known)
    for dist in active:
        dist["files"] = _verdict(rows[dist["name"]], expected, actual)
        inside = dist["location"].rstrip("/") + "/"
        dist["top_level"] = sorted({p[len(inside):].split("/", 1)[0] for p, _d, _s in rows[dist["name"]]
                                    if p.startswith(inside)})


def _total(rows):
    """Bytes to hash, from the sizes RECORD and paths.json give (an empty size counts 0)."""
    return sum(int(size) for entries in rows.values() for _, _, size in entries if str(size).isdigit())


def _hash_all(paths, workers=None, size=0):
    """Each path's sha256 (urlsafe base64). Workers only when there is enough to share: starting a
    pool costs ~0.2 s, which 2,000 small files or 32 MB of hashing pay back."""
    batches = [paths[i:i + 512] for i in range(0, len(paths), 512)]  # one task per batch, not per file
    if len(paths) < 2000 and size < (32 << 20) or len(paths) < 16:
        return dict(zip(paths, _hash_batch(paths)))
    with _pool(workers or min(32, os.cpu_count() or 2)) as pool:
        return dict(zip(paths, (digest for batch in pool.map(_hash_batch, batches) for digest in batch)))


_MANIFEST_LIMIT = 2000000  # files per site directory: a hostile tree must not make the answer unbounded


def file_manifest(sites, problems, workers=None, known=None):
    """Every file under each directory, relative to it, with its sha256 (urlsafe base64): what
    envbuild compares with the locked wheels' own RECORD (site directories) or with the manifest it
    recorded when it built the image (--tree). A symbolic link is reported as 'link:' and its target
    (never followed), anything else that is not a regular file as 'special'. ``known``: hashes
    already computed (a site directory inside a tree is hashed once)."""
    known = known or {}
    listed = {}
    for site_dir in sites:
        entries = {}
        for top, dirs, names in os.walk(site_dir):
            for name in sorted(dirs):
                full = os.path.join(top, name)
                if os.path.islink(full):
                    entries[os.path.relpath(full, site_dir)] = "link:" + os.readlink(full)
            for name in names:
                full = os.path.join(top, name)
                entries[os.path.relpath(full, site_dir)] = full
                if len(entries) > _MANIFEST_LIMIT:
                    problems.append({"path": site_dir, "problem": "more than %d files: not all listed" % _MANIFEST_LIMIT})
                    break
            else:
                continue
            break
        listed[site_dir] = entries
    import stat

    to_hash = []
    for entries in listed.values():
        for rel, full in entries.items():
            if full.startswith("link:"):
                continue
            try:
                mode = os.lstat(full).st_mode
            except OSError:
                entries[rel] = "unreadable"
                continue
            if stat.S_ISLNK(mode):
                entries[rel] = "link:" + os.readlink(full)
            elif not stat.S_ISREG(mode):
                entries[rel] = "special"
            elif full not in known:
                to_hash.append(full)
    hashes = _hash_all(sorted(to_hash), workers)
    hashes.update(known)
    for entries in listed.values():
        for rel, full in entries.items():
            if full in hashes:
                entries[rel] = hashes[full]
    return listed, hashes


def stale_pycs(sites):
    """Compiled files in __pycache__ for this interpreter whose header does not match their source:
    a hash-based pyc with another source hash, a timestamp pyc with another mtime or size, or a pyc
    for another magic number. (A pyc with a matching header but other code is found only against a
    build-time manifest: see envbuild's image checks.)"""
    import importlib.util

    tag = sys.implementation.cache_tag
    stale = []
    for site_dir in sites:
        for top, _dirs, names in os.walk(site_dir):
            if os.path.basename(top) != "__pycache__":
                continue
            for name in names:
                at = name.find("." + tag + ".")
                if at <= 0 or not name.endswith(".pyc"):
                    continue  # another interpreter's pyc: this one never reads it
                source = os.path.join(os.path.dirname(top), name[:at] + ".py")
                pyc = os.path.join(top, name)
                if not os.path.isfile(source):
                    continue  # never imported without its source
                if not _pyc_matches(pyc, source, importlib.util):
                    stale.append(pyc)
    return sorted(stale)


def _pyc_matches(pyc, source, util):
    try:
        with open(pyc, "rb") as handle:
            header = handle.read(16)
        if len(header) < 16 or header[:4] != util.MAGIC_NUMBER:
            return False
        flags = int.from_bytes(header[4:8], "little")
        if flags & 1:  # hash-based (PEP 552): the source's SipHash
            with open(source, "rb") as handle:
                return header[8:16] == util.source_hash(handle.read())
        st = os.stat(source)
        return (int.from_bytes(header[8:12], "little") == int(st.st_mtime) & 0xFFFFFFFF
                and int.from_bytes(header[12:16], "little") == st.st_size & 0xFFFFFFFF)
    except OSError:
        return False


def _verdict(rows, expected, actual):
    verdict = {"checked": len(rows), "modified": [], "missing": [], "unreadable": []}
    for path, *_ in rows:
        got = actual[path]
        if got in ("missing", "unreadable"):
            verdict[got].append(path)
        elif got not in expected[path]:
            verdict["modified"].append(path)
    return verdict


def conda_prefix(explicit, image):
    """The conda environment to inventory: the one asked for, the one envbuild built into this image,
    or the one this interpreter belongs to."""
    for candidate in (explicit, (image or {}).get("conda_prefix"), venv_prefix()[0], sys.prefix):
        if candidate and os.path.isdir(os.path.join(candidate, "conda-meta")):
            return candidate
    return explicit  # asked for, but not a conda environment: reported as such


def conda_packages(prefix, problems, files=False, workers=None):
    """conda-meta/*.json: name, version, build, hashes of the archive, channel; with files, each
    file's sha256 as installed (sha256_in_prefix where conda rewrote the prefix into it)."""
    import base64

    meta = os.path.join(prefix, "conda-meta")
    packages, rows, expected = [], {}, {}
    for entry in _listdir(meta):
        if not entry.endswith(".json"):
            continue
        try:
            record = json.loads(_read(os.path.join(meta, entry)))
        except (OSError, ValueError) as exc:
            problems.append({"path": os.path.join(meta, entry), "problem": "cannot read: %s" % exc})
            continue
        package = {key: record.get(key) for key in ("name", "version", "build", "sha256", "md5", "channel", "url")}
        package["meta"] = entry
        packages.append(package)
        if not files:
            continue
        mine = []
        for path in (record.get("paths_data") or {}).get("paths", []):
            digest = path.get("sha256_in_prefix") or path.get("sha256")
            if path.get("path_type", "hardlink") != "hardlink" or not digest:
                continue  # links and directories carry no content hash
            full = os.path.normpath(os.path.join(prefix, path.get("_path", "")))
            try:
                b64 = base64.urlsafe_b64encode(bytes.fromhex(digest)).rstrip(b"=").decode("ascii")
            except (TypeError, ValueError):
                problems.append({"path": os.path.join(meta, entry), "problem": "bad sha256 for %s" % full})
                continue
            mine.append((full, b64, path.get("size_in_bytes") or 0))
            expected.setdefault(full, set()).add(b64)
        rows[entry] = mine
    if files:
        actual = _hash_all(sorted(expected), workers, _total(rows))
        for package in packages:
            package["files"] = _verdict(rows.get(package["meta"], []), expected, actual)
    return packages


def gpu(root, dists):
    """Driver from /proc or /sys, CUDA/cuDNN/NCCL from nvidia-* wheels, torch's CUDA build from its
    version.py — all read as text, nothing imported."""
    info = {}
    try:
        text = _read(os.path.join(root, "proc/driver/nvidia/version"), 4096)
        match = re.search(r"Kernel Module(?: for \S+)?\s+([0-9]+(?:\.[0-9]+)+)", text)
        if match:
            info["driver"] = match.group(1)
    except OSError:
        try:
            info["driver"] = _read(os.path.join(root, "sys/module/nvidia/version"), 64).strip()
        except OSError:
            pass
    gpus = []
    for entry in _listdir(os.path.join(root, "proc/driver/nvidia/gpus")):
        try:
            text = _read(os.path.join(root, "proc/driver/nvidia/gpus", entry, "information"), 4096)
        except OSError:
            continue
        model = re.search(r"^Model:\s*(.+)$", text, re.MULTILINE)
        gpus.append({"bus": entry, "model": model.group(1).strip() if model else ""})
    if gpus:
        info["gpus"] = gpus
    versions = {d["name"]: d["version"] for d in dists if "shadowed_by" not in d}
    for key, names in (("cuda_runtime", ("nvidia-cuda-runtime-cu12", "nvidia-cuda-runtime-cu11", "nvidia-cuda-runtime")),
                       ("cudnn", ("nvidia-cudnn-cu12", "nvidia-cudnn-cu11", "nvidia-cudnn")),
                       ("nccl", ("nvidia-nccl-cu12", "nvidia-nccl-cu11", "nvidia-nccl"))):
        for name in names:
            if name in versions:
                info[key] = versions[name]
                break
    torch = next((d for d in dists if d["name"] == "torch" and "shadowed_by" not in d), None)
    if torch:
        try:
            text = _read(os.path.join(torch["location"], "torch", "version.py"), 8192)
            match = re.search(r"^cuda\s*(?::\s*\S+\s*)?=\s*['\"]([^'\"]+)['\"]", text, re.MULTILINE)
            info["torch_cuda"] = match.group(1) if match else None
        except OSError:
            pass
    return info


def embedded(root):
    """What envbuild put in an image: its lock and metadata under /etc/envbuild."""
    out = {}
    for name, key in (("lock.txt", "lock"), ("lock.conda-lock.yml", "conda_lock"), ("image.json", "image")):
        try:
            text = _read(os.path.join(root, "etc/envbuild", name))
        except OSError:
            continue
        try:
            out[key] = json.loads(text) if name.endswith(".json") else text
        except ValueError:
            pass
    return out


def collect(files=False, root=None, conda=None, trees=()):
    root = root or os.environ.get("ENVBUILD_PROBE_ROOT") or "/"
    problems = []
    path, sites, pth = search_path(problems)
    dists = distributions(problems, path)
    pth_owners(pth, dists)
    manifest, hashed = None, {}
    tree_files = None
    if trees:
        tree_files, hashed = file_manifest([t for t in trees if os.path.isdir(t)], problems)
    if files:
        manifest, hashed = file_manifest(sites, problems, known=hashed)
        check_files(dists, problems, known=hashed)
    found = embedded(root)
    snapshot = {
        "schema": 1,
        "probe": PROBE_VERSION,
        "interpreter": interpreter(),
        "os": os_release(root),
        "path": path,
        "site_dirs": sites,
        "pth": pth,
        "shadowing": shadowing(path),
        "distributions": dists,
        "gpu": gpu(root, dists),
        "files_checked": bool(files),
        "problems": problems,
    }
    if files:
        snapshot["site_files"] = manifest
        snapshot["stale_pyc"] = stale_pycs(sites)
    if tree_files is not None:
        snapshot["trees"] = tree_files
    if found:
        snapshot["envbuild"] = found
    prefix = conda_prefix(conda, found.get("image"))
    if prefix:
        snapshot["conda"] = {"prefix": prefix, "packages": conda_packages(prefix, problems, files)
                             if os.path.isdir(os.path.join(prefix, "conda-meta")) else None}
    return snapshot


def _deadline(argv):
    """--deadline=SECONDS: end this process then, whatever it is doing (SIGALRM's default action).
    envbuild's side stops waiting too, but killing `docker exec` or `ssh` there leaves this process
    running here."""
    import signal

    value = next((a.split("=", 1)[1] for a in argv if a.startswith("--deadline=")), None)
    if value and value.isdigit() and hasattr(signal, "alarm"):
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.alarm(int(value))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    _deadline(argv)
    conda = next((a.split("=", 1)[1] for a in argv if a.startswith("--conda-prefix=")), None)
    trees = [a.split("=", 1)[1] for a in argv if a.startswith("--tree=")]
    json.dump(collect(files="--files" in argv, conda=conda, trees=trees), sys.stdout, sort_keys=True)
    sys.stdout.write("\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
