"""What a base image's name, labels and configuration say about the Python it runs. Pure.

A target's ``python:`` must be the base's ``python3``: the image's venv is made with it, and the
lock's wheels are for the target's Python. The build would otherwise fail late (no wheel installs)
or, worse, make a venv of another Python. Asked in this order: the label `envbuild base` writes, the
``PYTHON_VERSION`` the official Python images set, then the distribution release its tag names
(whose python3 the template installs or the image has): Debian and Ubuntu releases, NVIDIA's CUDA
images (Ubuntu underneath), NGC's framework images by release.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from dataclasses import dataclass

from envbuild.core.names import canonical_name
from envbuild.core.platforms import RELEASE_PYTHON

PYTHON_LABEL = "io.envbuild.base.python"  # written by `envbuild base`: the python3 it bootstrapped

_UBUNTU_TAG = re.compile(r"^ubuntu:(\d\d\.\d\d)$")
_NGC = re.compile(r"^nvcr\.io/nvidia/(?:pytorch|tensorflow|jax|nemo)[^:]*:(\d\d)\.(\d\d)")


def base_python(ref: str, labels: Mapping[str, str] | None = None,
                env: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """(X.Y, where that was read) for the Python of base ``ref``; None when nothing says. ``env``: the
    environment its configuration sets."""
    if labels and re.fullmatch(r"3\.\d+", labels.get(PYTHON_LABEL, "")):
        return labels[PYTHON_LABEL], f"its label {PYTHON_LABEL}"
    value = (env or {}).get("PYTHON_VERSION", "")
    match = re.match(r"(3\.\d+)", value)
    if match:
        return match[1], f"its PYTHON_VERSION={value}"
    name = ref.split("@", 1)[0]
    repository, _, tag = name.rpartition(":") if ":" in name.rsplit("/", 1)[-1] else (name, "", "")
    if repository.rsplit("/", 1)[-1] == "python":
        match = re.match(r"(3\.\d+)", tag)
        if match:
            return match[1], f"its tag {tag}"
    ubuntu = _UBUNTU_TAG.match(name)
    if ubuntu and f"ubuntu{ubuntu[1]}" in RELEASE_PYTHON:
        return RELEASE_PYTHON[f"ubuntu{ubuntu[1]}"], f"Ubuntu {ubuntu[1]}'s python3"
    ngc = _NGC.match(name)
    if ngc:  # NGC releases: Ubuntu 22.04 (Python 3.10) through 24.12, Ubuntu 24.04 (Python 3.12) from 25.01
        return ("3.12", f"NGC release {ngc[1]}.{ngc[2]} (Ubuntu 24.04)") if int(ngc[1]) >= 25 else \
            ("3.10", f"NGC release {ngc[1]}.{ngc[2]} (Ubuntu 22.04)")
    for word in re.split(r"[-:_/]", tag or name):
        if word in RELEASE_PYTHON:
            return RELEASE_PYTHON[word], f"the release its name says ({word}), whose python3 it runs"
    return None


def python_mismatch(wanted: str, ref: str, found: tuple[str, str] | None) -> str | None:
    """The error when base ``ref`` runs another Python than the target's ``wanted`` (X.Y)."""
    if found is None or found[0] == ".".join(wanted.split(".")[:2]):
        return None
    return (f"python is {wanted}, but base {ref} runs Python {found[0]} ({found[1]}): the image's venv would be "
            f"Python {found[0]}, and the lock's wheels are for {wanted}")


def suggested_bases(python: str) -> str:
    """Bases whose python3 is ``python``, for a hint."""
    names = [f"python:{python}-slim-bookworm"]
    names += [f"envbuild base --suite {release}" for release, version in RELEASE_PYTHON.items()
              if version == python and not release.startswith(("ubuntu", "focal", "jammy", "noble"))]
    names += [f"nvidia/cuda:<version>-runtime-{release}" for release, version in RELEASE_PYTHON.items()
              if version == python and release.startswith("ubuntu")]
    return ", ".join(names)


@dataclass(frozen=True, kw_only=True)
class BaseEnv:
    ref: str
    python: str  # X.Y
    packages: tuple[tuple[str, str], ...]  # (canonical name, version), sorted
    cuda: str | None  # X.Y: the image's CUDA_VERSION, else its torch's local tag (+cu124)


def base_env(ref: str, data: Mapping[str, Any]) -> BaseEnv:
    """What the script printed, checked: names and PEP 440 versions only (others are left out)."""
    from packaging.version import InvalidVersion, Version

    packages = {}
    for entry in data.get("packages") or []:
        if isinstance(entry, list) and len(entry) == 2 and all(isinstance(x, str) for x in entry):
            try:
                packages[canonical_name(entry[0])] = str(Version(entry[1]))
            except InvalidVersion:
                continue
    cuda = str(data.get("cuda") or "")
    torch = packages.get("torch", "")
    if not cuda and "+cu" in torch:  # 2.4.0+cu124 → 12.4
        digits = torch.split("+cu", 1)[1][:3]
        cuda = f"{digits[:2]}.{digits[2:]}" if len(digits) == 3 and digits.isdigit() else ""
    return BaseEnv(ref=ref, python=str(data.get("python", "")), packages=tuple(sorted(packages.items())),
                   cuda=".".join(cuda.split(".")[:2]) or None)
