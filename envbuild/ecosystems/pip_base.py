"""base-packages: inherit — a target built on an image that already holds its framework (NVIDIA's NGC
PyTorch images, pytorch/pytorch): the venv sees the base's site-packages, and the lock takes the
base's distributions as given.

At lock time the base image is asked (in a container with no network) which distributions its
python3 has; each is offered to the resolver as a stub wheel of that name and version on a
find-links directory of its own, held there by a constraint, so what the target adds is resolved
against the base's torch (a local build no index has, like 2.4.0a0+3bcc3cd.nv24.7) and never
replaces it. Those pins leave the lock's body (nothing installs them: the base has them) and stay in
its header as '# base: NAME==VERSION', which verify checks like any pin, by version.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from envbuild.core.image.bases import BaseEnv
from envbuild.errors import UserError

def stub_wheels(base: BaseEnv, folder: Path) -> list[str]:
    """A wheel per base distribution (its name and version, nothing else) in ``folder``, for the
    resolver; the constraints that hold each at its version."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, version in base.packages:
        module = name.replace("-", "_")
        info = f"{module}-{version}.dist-info"
        files = {f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
                 f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: envbuild\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
        files[f"{info}/RECORD"] = "".join(f"{path},,\n" for path in [*files, f"{info}/RECORD"])
        with zipfile.ZipFile(folder / f"{module}-{version}-py3-none-any.whl", "w") as archive:
            for path, text in files.items():
                archive.writestr(zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0)), text)
    return [f"{name}=={version}" for name, version in base.packages]


def check_python(base: BaseEnv, python: str, spec_file: str) -> None:
    if base.python and base.python != ".".join(python.split(".")[:2]):
        raise UserError(f"{spec_file} says python {python}, but base {base.ref} runs Python {base.python}, whose "
                        "packages base-packages: inherit takes", hint=f"set python: \"{base.python}\"")
