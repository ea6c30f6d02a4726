"""Build tiny, byte-reproducible wheels for tests (a wheel is a zip with METADATA, WHEEL, RECORD)."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class WheelSpec:
    name: str
    version: str
    requires: tuple[str, ...] = ()
    extras: dict[str, tuple[str, ...]] = field(default_factory=dict)
    requires_python: str | None = None
    upload_time: str = "2026-01-01T00:00:00Z"
    sdist_only: bool = False  # published as an sdist with an in-tree PEP 517 backend, no wheel
    pth: str | None = None  # the text of a <module>_init.pth it ships beside its module (start-up code)

    @property
    def module(self) -> str:
        return self.name.replace("-", "_")

    @property
    def filename(self) -> str:
        return f"{self.module}-{self.version}-py3-none-any.whl"


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def build_wheel(spec: WheelSpec, dest: Path) -> Path:
    dist_info = f"{spec.module}-{spec.version}.dist-info"
    metadata = ["Metadata-Version: 2.1", f"Name: {spec.name}", f"Version: {spec.version}"]
    if spec.requires_python:
        metadata.append(f"Requires-Python: {spec.requires_python}")
    metadata += [f"Requires-Dist: {r}" for r in spec.requires]
    for extra, reqs in spec.extras.items():
        metadata.append(f"Provides-Extra: {extra}")
        metadata += [f'Requires-Dist: {r}; extra == "{extra}"' for r in reqs]
    files = {
        f"{spec.module}/__init__.py": f'__version__ = "{spec.version}"\n',
        f"{spec.module}/data.txt": f"{spec.name} {spec.version}\n",
        f"{dist_info}/METADATA": "\n".join(metadata) + "\n",
        f"{dist_info}/WHEEL": "Wheel-Version: 1.0\nGenerator: envbuild-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    if spec.pth is not None:
        files[f"{spec.module}_init.pth"] = spec.pth
    record = [f"{path},{_record_hash(text.encode())},{len(text.encode())}" for path, text in files.items()]
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = "\n".join(record) + "\n"
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / spec.filename
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, text in files.items():
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text)
    return path


# The fixture index: dependencies between packages, an extra, a marker that never applies on
# Linux (its target does not exist on the index), a conflict, and versions either side of a date.
FIXTURE_PACKAGES = (
    WheelSpec("alpha", "1.0", requires=("beta>=1.0",), upload_time="2026-01-10T00:00:00Z"),
    WheelSpec("alpha", "2.0", requires=("beta>=1.1", "gamma[fast]>=1.0"), upload_time="2026-03-10T00:00:00Z"),
    WheelSpec("beta", "1.0", upload_time="2026-01-05T00:00:00Z"),
    WheelSpec("beta", "1.1", upload_time="2026-02-05T00:00:00Z"),
    WheelSpec("gamma", "1.0", requires=('winonly>=1; sys_platform == "win32"',), extras={"fast": ("delta",)},
              upload_time="2026-01-20T00:00:00Z"),
    WheelSpec("delta", "1.0", upload_time="2026-01-20T00:00:00Z"),
    WheelSpec("epsilon", "1.0", upload_time="2026-01-15T00:00:00Z"),
    WheelSpec("epsilon", "2.0", upload_time="2026-06-15T00:00:00Z"),
    WheelSpec("omega", "1.0", requires=("beta<1.0",), upload_time="2026-01-15T00:00:00Z"),
    WheelSpec("modern", "1.0", requires_python=">=3.13", upload_time="2026-01-15T00:00:00Z"),
    # Stand-ins for the CUDA stack (names and versions are what matter to envbuild's checks).
    WheelSpec("nvidia-cuda-runtime-cu12", "12.8.90", upload_time="2026-01-15T00:00:00Z"),
    WheelSpec("torch", "2.4.1+cu121", upload_time="2026-01-15T00:00:00Z"),
    # Ships code that runs at every interpreter start (a .pth with an import line), as 2026's
    # compromised releases did.
    WheelSpec("hooked", "1.0", upload_time="2026-01-15T00:00:00Z", pth="import os\n"),
    # Published as an sdist only: envbuild builds its wheel at lock time.
    WheelSpec("sigma", "1.0", upload_time="2026-01-15T00:00:00Z", sdist_only=True),
)


# A PEP 517 backend in the sdist itself (backend-path), standard library only: pip builds it with no
# index to fetch setuptools from, and the wheel it writes is the same bytes on every build.
_BACKEND = """\
import base64, hashlib, os, zipfile

NAME, VERSION = {name!r}, {version!r}
MODULE = NAME.replace("-", "_")


def get_requires_for_build_wheel(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    dist_info = "%s-%s.dist-info" % (MODULE, VERSION)
    files = {{
        MODULE + "/__init__.py": open(os.path.join(MODULE, "__init__.py")).read(),
        dist_info + "/METADATA": "Metadata-Version: 2.1\\nName: %s\\nVersion: %s\\n" % (NAME, VERSION),
        dist_info + "/WHEEL": "Wheel-Version: 1.0\\nGenerator: tiny\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
    }}
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append("%s,sha256=%s,%d" % (path, digest, len(text.encode())))
    files[dist_info + "/RECORD"] = "\\n".join(record + [dist_info + "/RECORD,,"]) + "\\n"
    name = "%s-%s-py3-none-any.whl" % (MODULE, VERSION)
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as zf:
        for path, text in files.items():
            info = zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            zf.writestr(info, text)
    return name
"""


def build_sdist(spec: WheelSpec, dest: Path) -> Path:
    """name-version.tar.gz: PKG-INFO, pyproject.toml naming the in-tree backend, the module."""
    import io
    import tarfile

    root = f"{spec.module}-{spec.version}"
    files = {
        "PKG-INFO": f"Metadata-Version: 2.1\nName: {spec.name}\nVersion: {spec.version}\n",
        "pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "tiny_backend"\nbackend-path = ["."]\n',
        "tiny_backend.py": _BACKEND.format(name=spec.name, version=spec.version),
        f"{spec.module}/__init__.py": f'__version__ = "{spec.version}"\n',
    }
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / f"{root}.tar.gz"
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{root}/{name}")
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))
    return path
