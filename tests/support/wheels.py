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
)
