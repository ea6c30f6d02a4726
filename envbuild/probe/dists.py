"""Every distribution on the search path, in precedence order: shadowed and duplicate copies too. Standard library only; Python >= 3.8."""

import json
import os
import sys

from .common import metadata_headers, read_text, canonical, record_digest, scan


def distributions(problems, path=None):
    """Every *.dist-info / *.egg-info on the path, first-found wins (later copies are shadowed)."""
    found = []
    seen = {}
    for entry in (sys.path if path is None else path):
        location = os.path.abspath(entry or os.getcwd())
        if not os.path.isdir(location):
            continue
        in_this_dir = {}
        for name, is_dir in scan(location):
            if not (name.endswith(".dist-info") or name.endswith(".egg-info")):
                continue
            dist = _distribution(location, name, is_dir, problems)
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


def _distribution(location, name, is_dir, problems):
    path = os.path.join(location, name)
    is_dist_info = name.endswith(".dist-info")
    inside = path + os.sep  # + a plain name: what os.path.join gives, at a fraction of its cost
    meta_path = inside + ("METADATA" if is_dist_info else "PKG-INFO") if is_dir else path
    try:
        headers = metadata_headers(read_text(meta_path, 16384))
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
            dist["installer"] = read_text(inside + "INSTALLER", 256).strip()
        except OSError:
            pass
        try:
            direct = json.loads(read_text(inside + "direct_url.json"))
        except (OSError, ValueError, RecursionError):
            direct = None
        if isinstance(direct, dict):  # anything else is no answer (a hostile place writes what it likes)
            url, dir_info = direct.get("url", ""), direct.get("dir_info")
            dist["url"] = url if isinstance(url, str) else ""
            dist["editable"] = isinstance(dir_info, dict) and bool(dir_info.get("editable"))
        dist["has_record"] = os.path.isfile(inside + "RECORD")
        try:  # which variant of the wheel was installed: envbuild fetches that very file to compare
            dist["wheel_tags"] = [line.split(":", 1)[1].strip() for line in read_text(inside + "WHEEL", 8192)
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
                text = read_text(os.path.join(site_dir, dist["metadata_dir"], "RECORD"))
            except OSError:
                continue
            try:
                listed = any(row and os.path.normpath(row[0]) == name for row in csv.reader(text.splitlines()))
            except csv.Error:  # a field past csv's limit, say: that RECORD claims nothing
                continue
            if listed:
                report["owner"] = dist["name"]
                break


def record_text(dist, problems):
    """The installed RECORD's text; None (and a problem said) when it cannot be read."""
    path = os.path.join(dist["location"], dist["metadata_dir"], "RECORD")
    try:
        return read_text(path)
    except OSError as exc:
        problems.append({"path": path, "problem": "cannot read RECORD: %s" % (exc.strerror or exc)})
        return None


def record_rows(dist, problems):
    import csv

    text = record_text(dist, problems)
    if text is None:
        return []
    location = dist["location"]
    base = location if location.endswith(os.sep) else location + os.sep
    clean = os.sep == "/" and location.startswith("/") and os.path.normpath(location) in (location, location.rstrip("/"))
    rows = []
    try:
        for row in csv.reader(text.splitlines()):
            if len(row) >= 2 and row[1].startswith("sha256="):
                path = row[0]
                if clean and path and path[0] not in "./" and path[-1] != "/" and "/." not in path and "//" not in path:
                    full = base + path  # what normpath(join()) gives for a plain relative path, at a tenth of the cost
                else:
                    full = os.path.normpath(os.path.join(location, path))
                digest = row[1][7:]  # urlsafe base64, 43 characters, in nearly every RECORD; else normalised
                rows.append((full, digest if len(digest) == 43 else record_digest(row[1]),
                             row[2] if len(row) > 2 else ""))  # path, digest, size
    except csv.Error as exc:  # a field past csv's limit, say: no row of it is taken
        problems.append({"path": os.path.join(location, dist["metadata_dir"], "RECORD"),
                         "problem": "cannot read RECORD: %s" % exc})
        return []
    return rows
