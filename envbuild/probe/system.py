"""What lies outside sys.path: a conda prefix's conda-meta, the GPU stack, envbuild's own files. Standard library only; Python >= 3.8."""

import json
import os
import re

from .common import listdir, read_text
from .hashing import allowed, hash_all, total_size, verdict


def conda_prefix(explicit, image, facts):
    """The conda environment to inventory: the one asked for, the one envbuild built into this image,
    or the one this interpreter belongs to."""
    for candidate in (explicit, (image or {}).get("conda_prefix"), facts["venv"], facts["prefix"]):
        if candidate and os.path.isdir(os.path.join(candidate, "conda-meta")):
            return candidate
    return explicit  # asked for, but not a conda environment: reported as such


def conda_packages(prefix, problems, files=False, workers=None, tally=None):
    """conda-meta/*.json: name, version, build, hashes of the archive, channel; with files, each
    file's sha256 as installed (sha256_in_prefix where conda rewrote the prefix into it)."""
    import base64

    meta = os.path.join(prefix, "conda-meta")
    packages, rows = [], {}
    for entry in listdir(meta):
        if not entry.endswith(".json"):
            continue
        where = os.path.join(meta, entry)
        try:
            record = json.loads(read_text(where))
        except (OSError, ValueError, RecursionError) as exc:
            problems.append({"path": where, "problem": "cannot read: %s" % exc})
            continue
        if not isinstance(record, dict) or not isinstance(record.get("name"), str):  # a hostile place writes anything
            problems.append({"path": where, "problem": "not a conda-meta record (a JSON object with a name)"})
            continue
        package = {key: record.get(key) if isinstance(record.get(key), str) else None
                   for key in ("name", "version", "build", "sha256", "md5", "channel", "url")}
        package["meta"] = entry
        packages.append(package)
        if not files:
            continue
        mine = []
        paths_data = record.get("paths_data")
        listed = paths_data.get("paths") if isinstance(paths_data, dict) else None
        for path in listed if isinstance(listed, list) else []:
            if not isinstance(path, dict) or not isinstance(path.get("_path", ""), str):
                problems.append({"path": where, "problem": "a paths_data entry that is not a path record"})
                continue
            digest = path.get("sha256_in_prefix") or path.get("sha256")
            if path.get("path_type", "hardlink") != "hardlink" or not digest:
                continue  # links and directories carry no content hash
            full = os.path.normpath(os.path.join(prefix, path.get("_path", "")))
            try:
                b64 = base64.urlsafe_b64encode(bytes.fromhex(digest)).rstrip(b"=").decode("ascii")
            except (TypeError, ValueError):
                problems.append({"path": where, "problem": "bad sha256 for %s" % full})
                continue
            mine.append((full, b64, path.get("size_in_bytes") or 0))
        rows[entry] = mine
    if files:
        expected, more = allowed(rows)
        actual = hash_all(sorted(expected), workers, total_size(rows), tally)
        base = prefix.rstrip(os.sep) + os.sep
        for package in packages:
            mine = rows.get(package["meta"], [])
            package["files"] = verdict(mine, expected, actual, more)
            # what each file hashes to, for envbuild's side to hold against the package archive's
            # own info/paths.json (conda-meta, which the verdict used, is the environment's claim)
            package["hashes"] = {full[len(base):]: actual[full] for full, _digest, _size in mine
                                 if full.startswith(base) and actual[full] != "missing"}
    return packages


def cpu(root):
    """The CPU's model (the first of /proc/cpuinfo) and the cores this process may run on."""
    info = {}
    try:
        text = read_text(os.path.join(root, "proc/cpuinfo"), 1 << 16)
        match = re.search(r"^(?:model name|Model|cpu model|uarch)\s*:\s*(.+)$", text, re.MULTILINE)
        if match:
            info["model"] = match.group(1).strip()[:200]
    except OSError:
        pass
    try:
        info["cores"] = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        info["cores"] = os.cpu_count() or 0
    return info


def gpu(root, dists):
    """Driver from /proc or /sys, CUDA/cuDNN/NCCL from nvidia-* wheels, torch's CUDA build from its
    version.py — all read as text, nothing imported."""
    info = {}
    try:
        text = read_text(os.path.join(root, "proc/driver/nvidia/version"), 4096)
        match = re.search(r"Kernel Module(?: for \S+)?\s+([0-9]+(?:\.[0-9]+)+)", text)
        if match:
            info["driver"] = match.group(1)
    except OSError:
        try:
            info["driver"] = read_text(os.path.join(root, "sys/module/nvidia/version"), 64).strip()
        except OSError:
            pass
    gpus = []
    for entry in listdir(os.path.join(root, "proc/driver/nvidia/gpus")):
        try:
            text = read_text(os.path.join(root, "proc/driver/nvidia/gpus", entry, "information"), 4096)
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
            text = read_text(os.path.join(torch["location"], "torch", "version.py"), 8192)
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
            text = read_text(os.path.join(root, "etc/envbuild", name))
        except OSError:
            continue
        try:
            out[key] = json.loads(text) if name.endswith(".json") else text
        except (ValueError, RecursionError):
            pass
    return out


# The variables that make runs repeatable (envbuild/core/spec/runtime.py DETERMINISM): only these are read
# from the environment, with those the image says it set; never the rest (it holds secrets).
DETERMINISM_NAMES = ("PYTHONHASHSEED", "CUBLAS_WORKSPACE_CONFIG", "TF_DETERMINISTIC_OPS", "TF_CUDNN_DETERMINISTIC")


def determinism_env(image):
    names = set(DETERMINISM_NAMES)
    said = image.get("determinism") if isinstance(image, dict) else None
    if isinstance(said, dict):
        names.update(n for n in said if isinstance(n, str))
    return {n: os.environ[n] for n in sorted(names) if n in os.environ}
