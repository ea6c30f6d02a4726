"""Build a tiny conda channel by hand: .tar.bz2 packages (info/index.json, info/paths.json, info/files,
payload) and one repodata.json per subdir. No conda channel is reachable from these machines, and
these stand-ins are what a real one serves, byte for byte in layout.

``python`` here is a stand-in too: its ``bin/python3`` is a link to the image's /usr/bin/python3 and
its ``pyvenv.cfg`` makes the prefix a venv of it, so pip packages land in
``<prefix>/lib/python3.11/site-packages`` exactly where a conda Python keeps them.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

PLACEHOLDER = "/opt/anaconda1anaconda2anaconda3"  # conda-build's prefix placeholder, replaced at install


@dataclass(frozen=True)
class CondaPkg:
    name: str
    version: str
    build: str = "h0_0"
    build_number: int = 0
    subdir: str = "linux-64"
    depends: tuple[str, ...] = ()
    files: dict[str, str] = field(default_factory=dict)  # path in prefix → text
    prefix_files: tuple[str, ...] = ()  # files whose text holds PLACEHOLDER (file_mode text)
    links: dict[str, str] = field(default_factory=dict)  # path → symlink target
    timestamp: int = 1767225600000  # 2026-01-01, in milliseconds as conda-build writes it
    noarch: str | None = None

    @property
    def filename(self) -> str:
        return f"{self.name}-{self.version}-{self.build}.tar.bz2"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build_package(pkg: CondaPkg) -> bytes:
    index = {"name": pkg.name, "version": pkg.version, "build": pkg.build, "build_number": pkg.build_number,
             "depends": list(pkg.depends), "subdir": pkg.subdir, "license": "MIT", "timestamp": pkg.timestamp,
             **({"arch": "x86_64", "platform": "linux"} if pkg.subdir == "linux-64" else {}),
             **({"noarch": pkg.noarch} if pkg.noarch else {})}
    paths = []
    members: list[tuple[tarfile.TarInfo, bytes | None]] = []
    for path, text in sorted(pkg.files.items()):
        data = text.encode()
        entry = {"_path": path, "path_type": "hardlink", "sha256": _sha256(data), "size_in_bytes": len(data)}
        if path in pkg.prefix_files:
            entry.update(file_mode="text", prefix_placeholder=PLACEHOLDER)
        paths.append(entry)
        members.append((_info(path, len(data)), data))
    for path, target in sorted(pkg.links.items()):
        paths.append({"_path": path, "path_type": "softlink", "sha256": _sha256(target.encode()), "size_in_bytes": 0})
        info = _info(path, 0)
        info.type, info.linkname = tarfile.SYMTYPE, target
        members.append((info, None))
    meta = {
        "info/index.json": json.dumps(index, indent=2, sort_keys=True),
        "info/paths.json": json.dumps({"paths": sorted(paths, key=lambda p: p["_path"]), "paths_version": 1},
                                      indent=2, sort_keys=True),
        "info/files": "".join(f"{p['_path']}\n" for p in sorted(paths, key=lambda p: p["_path"])),
    }
    if pkg.prefix_files:
        meta["info/has_prefix"] = "".join(f"{PLACEHOLDER} text {p}\n" for p in pkg.prefix_files)
    for path, text in meta.items():
        members.append((_info(path, len(text.encode())), text.encode()))
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:bz2") as tar:
        for info, data in sorted(members, key=lambda m: m[0].name):
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def _info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.uname, info.gname = size, 1767225600, "root", "root"
    info.mode = 0o755 if name.startswith("bin/") else 0o644
    return info


def write_channel(root: Path, packages: list[CondaPkg]) -> Path:
    """Write the packages and their repodata.json under root/<subdir>/; returns root."""
    repodata: dict[str, dict] = {s: {} for s in ("linux-64", "noarch")}
    for pkg in packages:
        data = build_package(pkg)
        subdir = root / pkg.subdir
        subdir.mkdir(parents=True, exist_ok=True)
        (subdir / pkg.filename).write_bytes(data)
        record = {"name": pkg.name, "version": pkg.version, "build": pkg.build, "build_number": pkg.build_number,
                  "depends": list(pkg.depends), "subdir": pkg.subdir, "license": "MIT", "timestamp": pkg.timestamp,
                  "md5": hashlib.md5(data).hexdigest(), "sha256": _sha256(data), "size": len(data)}
        if pkg.noarch:
            record["noarch"] = pkg.noarch
        repodata.setdefault(pkg.subdir, {})[pkg.filename] = record
    for subdir, records in repodata.items():
        (root / subdir).mkdir(parents=True, exist_ok=True)
        doc = {"info": {"subdir": subdir}, "packages": records, "packages.conda": {}, "repodata_version": 1}
        (root / subdir / "repodata.json").write_text(json.dumps(doc, indent=1, sort_keys=True))
    return root


PYTHON_STANDIN = CondaPkg(
    "python", "3.11.2", build="h0_envbuild", files={"pyvenv.cfg": "home = /usr/bin\ninclude-system-site-packages = false\n"
                                                                   "version = 3.11.2\n"},
    links={"bin/python3": "/usr/bin/python3", "bin/python": "python3"})

# libtiny 1.0 / 1.1 (two builds of 1.1), tinytool needs libtiny >=1.1, tinydata is noarch, and
# cudastub asks for a CUDA driver through the __cuda virtual package.
FIXTURE_CHANNEL = [
    CondaPkg("libtiny", "1.0", files={"lib/libtiny.txt": "libtiny 1.0\n"}),
    CondaPkg("libtiny", "1.1", build="h0_0", files={"lib/libtiny.txt": "libtiny 1.1\n"}),
    CondaPkg("libtiny", "1.1", build="h1_1", build_number=1, files={"lib/libtiny.txt": "libtiny 1.1 (rebuilt)\n"}),
    CondaPkg("tinytool", "2.0", depends=("libtiny >=1.1",),
             files={"bin/tinytool": f"#!/bin/sh\n# installed in {PLACEHOLDER}\necho tinytool 2.0\n",
                    "share/tinytool/README": "tinytool\n"},
             prefix_files=("bin/tinytool",)),
    CondaPkg("tinydata", "0.3", build="pyh0_0", subdir="noarch", noarch="generic",
             files={"share/tinydata/data.csv": "a,b\n1,2\n"}),
    CondaPkg("cudastub", "12.1", depends=("__cuda >=12.1",), files={"lib/cudastub.txt": "cuda 12.1\n"}),
    CondaPkg("newtool", "9.0", timestamp=1798761600000, files={"bin/newtool": "new\n"}),  # 2027-01-01
    PYTHON_STANDIN,
]
