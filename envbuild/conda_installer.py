"""Install conda packages into a prefix, offline, with py-rattler: ``python conda_installer.py PLAN PREFIX``.

Runs in an image's builder stage (py-rattler is the only thing it needs), and in tests on the host.
PLAN is JSON: {"packages": [{"file", "sha256", "md5", "url", "channel"}]}, the archives already
fetched and checked against the lock on the host; each is checked again here before it is used.
Afterwards every conda-meta record names the URL and channel of the lock (not the local file it was
installed from), and is readable by every user.

``python conda_installer.py --split LAYERS PREFIX DEST`` then cuts the installed prefix into the
image's layers (core/spec/layers.py): each layer's packages' files — as their conda-meta records list
them, with the .pyc files of their .py files and the record itself — move to DEST/<folder>/PREFIX;
what no layer claims (the pip part, the project, conda-meta/history) stays for the last layer.

Exit codes: 0 installed · 4 a file does not match its hashes, or the install failed.
"""

import asyncio
import hashlib
import json
import os
import sys
from pathlib import Path


def _check(path, sha256, md5):
    sha, md = hashlib.sha256(), hashlib.md5()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
            md.update(block)
    if sha.hexdigest() != sha256 or (md5 and md.hexdigest() != md5):
        raise SystemExit(f"envbuild: {path} does not match the lock's hashes")


async def _install(plan, prefix, cache):
    import rattler

    records = []
    for package in plan["packages"]:
        _check(package["file"], package["sha256"], package.get("md5"))
        records.append(await rattler.RepoDataRecord.from_package_archive(package["file"]))
    await rattler.install(records, target_prefix=prefix, cache_dir=cache, show_progress=False,
                          execute_link_scripts=False)


def _relabel(plan, prefix):
    by_file = {Path(p["file"]).name: p for p in plan["packages"]}
    meta = Path(prefix) / "conda-meta"
    for path in sorted(meta.glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        package = by_file.get(record.get("fn", ""))
        if package:
            record["url"], record["channel"] = package["url"], package["channel"]
        path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    for path in [*meta.iterdir(), Path(prefix) / "CACHEDIR.TAG"]:
        if path.name == "CACHEDIR.TAG":
            path.unlink(missing_ok=True)  # rattler's cache marker does not belong in an environment
        elif path.exists():
            path.chmod(0o644)


def split(layers_file, prefix, dest):
    layers = json.loads(Path(layers_file).read_text(encoding="utf-8"))["layers"]
    meta = Path(prefix) / "conda-meta"
    records = {}
    for path in sorted(meta.glob("*.json")):
        records[json.loads(path.read_text(encoding="utf-8")).get("name")] = path
    moved = 0
    for layer in layers:
        root = Path(dest) / layer["folder"] / Path(prefix).relative_to("/")
        for name in layer["packages"]:
            record = records.get(name)
            if record is None:
                continue
            files = json.loads(record.read_text(encoding="utf-8")).get("files") or []
            for relative in [*files, *_compiled(prefix, files), str(record.relative_to(prefix))]:
                source = Path(prefix) / relative
                if source.is_symlink() or source.exists():
                    (root / relative).parent.mkdir(parents=True, exist_ok=True)
                    os.rename(source, root / relative)
                    moved += 1
    print(f"envbuild: split {moved} files into {len(layers)} layers")


def _compiled(prefix, files):
    """The .pyc files of a record's .py files that the record does not list."""
    listed = set(files)
    for relative in files:
        if relative.endswith(".py"):
            folder = (Path(prefix) / relative).parent / "__pycache__"
            stem = Path(relative).stem
            if folder.is_dir():
                for pyc in sorted(folder.glob(f"{stem}.*.pyc")):
                    candidate = str(pyc.relative_to(prefix))
                    if candidate not in listed:
                        yield candidate


def main(argv):
    if argv[1] == "--split":
        split(argv[2], argv[3], argv[4])
        return
    plan_file, prefix = argv[1], argv[2]
    cache = argv[3] if len(argv) > 3 else "/tmp/envbuild-conda-cache"
    plan = json.loads(Path(plan_file).read_text(encoding="utf-8"))
    code = 0
    try:
        asyncio.run(_install(plan, prefix, cache))
        _relabel(plan, prefix)
        print(f"envbuild: installed {len(plan['packages'])} conda packages into {prefix}")
    except SystemExit as exc:
        print(exc.code, file=sys.stderr)
        code = 4
    except Exception as exc:  # noqa: BLE001 - the message matters, not the traceback
        print(f"envbuild: conda install failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        code = 4
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # py-rattler can crash during interpreter shutdown; never let that decide the exit code


if __name__ == "__main__":
    main(sys.argv)
