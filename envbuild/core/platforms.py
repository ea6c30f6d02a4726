"""Every fact envbuild knows about a target platform, written once. Pure.

A target is Linux on one architecture, with glibc 2.28 or newer: manylinux_2_28 is what current ML
wheels (torch ≥ 2.6, jaxlib) are built for, and every Debian and Ubuntu base since 2019 has it. The
resolvers' platform strings, the wheel tags a build accepts, the conda subdir and virtual packages,
the marker environment's machine and verify's architecture and libc checks are all derived here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from envbuild.errors import UserError

if TYPE_CHECKING:  # packaging.tags costs ~50 ms to import: only locking and fetching need it
    from packaging.tags import Tag

GLIBC = (2, 28)  # the oldest glibc a target may have: what locks are resolved for
LINUX_KERNEL = "5.10"  # the __linux virtual package a conda solve assumes
# python3 of each distribution release (Debian's and Ubuntu's own package).
RELEASE_PYTHON = {
    "buster": "3.7", "bullseye": "3.9", "bookworm": "3.11", "trixie": "3.13",
    "focal": "3.8", "jammy": "3.10", "noble": "3.12",
    "ubuntu20.04": "3.8", "ubuntu22.04": "3.10", "ubuntu24.04": "3.12",
}
_OLDEST_MANYLINUX_2 = 17  # manylinux_2_17 is manylinux2014: below it, the legacy names


@dataclass(frozen=True, kw_only=True)
class Platform:
    name: str  # "linux/amd64": how envbuild.yaml and Docker say it
    machine: str  # "x86_64": uname -m, the marker environment, conda's archspec
    other_machines: tuple[str, ...]  # other spellings of the machine a probe may report ("amd64")
    conda_subdir: str  # "linux-64"
    legacy_manylinux: tuple[str, ...] = ()  # manylinux2010, manylinux1: x86_64 only

    @property
    def machines(self) -> tuple[str, ...]:
        return (self.machine, *self.other_machines)

    @property
    def uv_platform(self) -> str:
        """uv's --python-platform: the architecture at the oldest glibc a target may have."""
        return f"{self.machine}-manylinux_{GLIBC[0]}_{GLIBC[1]}"

    @property
    def wheel_platforms(self) -> list[str]:
        """Platform tags a glibc ≥ 2.28 target accepts, newest first (as pip's --platform wants them)."""
        tags = [f"manylinux_2_{minor}_{self.machine}" for minor in range(GLIBC[1], _OLDEST_MANYLINUX_2 - 1, -1)]
        tags.append(f"manylinux2014_{self.machine}")
        tags += [f"{legacy}_{self.machine}" for legacy in self.legacy_manylinux]
        return tags + [f"linux_{self.machine}"]


PLATFORMS = {p.name: p for p in (
    Platform(name="linux/amd64", machine="x86_64", other_machines=("amd64",), conda_subdir="linux-64",
             legacy_manylinux=("manylinux2010", "manylinux1")),
    Platform(name="linux/arm64", machine="aarch64", other_machines=("arm64",), conda_subdir="linux-aarch64"),
)}
NAMES = tuple(PLATFORMS)


def platform(name: str) -> Platform:
    try:
        return PLATFORMS[name]
    except KeyError:
        raise UserError(f"unknown platform {name!r}", hint=f"envbuild builds for {', '.join(NAMES)}") from None


def of_machine(machine: str) -> str | None:
    """'x86_64' or 'amd64' → 'linux/amd64'; None for a machine no target has."""
    lowered = machine.lower()
    return next((p.name for p in PLATFORMS.values() if lowered in p.machines), None)


def of_conda_subdir(subdir: str) -> str | None:
    """'linux-64' → 'linux/amd64'."""
    return next((p.name for p in PLATFORMS.values() if p.conda_subdir == subdir), None)


def glibc_text() -> str:
    return f"{GLIBC[0]}.{GLIBC[1]}"


def supported_tags(python: str, name: str) -> set["Tag"]:
    """The wheel tags CPython X.Y on this platform installs: its own ABI, abi3 (also built for older
    CPythons) and pure Python."""
    from packaging.tags import Tag

    major, minor = python.split(".")[:2]
    interp = f"cp{major}{minor}"
    plats = platform(name).wheel_platforms + ["any"]
    tags = {Tag(interp, abi, plat) for abi in (interp, "abi3", "none") for plat in plats}
    for older in range(int(minor), 1, -1):
        tags |= {Tag(f"cp{major}{older}", "abi3", plat) for plat in plats}
    tags |= {Tag(py, "none", plat) for py in (f"py{major}", f"py{major}{minor}", interp) for plat in plats}
    return tags


def ranked_tags(python: str, name: str) -> list["Tag"]:
    """supported_tags, most preferred first, in the order pip picks a wheel by (packaging's)."""
    from packaging.tags import compatible_tags, cpython_tags

    major, minor = (int(part) for part in python.split(".")[:2])
    plats = platform(name).wheel_platforms
    ours = supported_tags(python, name)
    ordered = [*cpython_tags((major, minor), [f"cp{major}{minor}"], plats),
               *compatible_tags((major, minor), f"cp{major}{minor}", plats)]
    ranked = [tag for tag in dict.fromkeys(ordered) if tag in ours]
    return ranked + sorted(ours - set(ranked), key=str)  # cp311-abi3-any and the like: last


def marker_environment(python: str, name: str) -> dict[str, str]:
    """The PEP 508 marker environment of CPython ``python`` (X.Y or X.Y.Z) on this platform."""
    major_minor = ".".join(python.split(".")[:2])
    full = python if python.count(".") == 2 else f"{major_minor}.0"
    return {
        "implementation_name": "cpython", "platform_python_implementation": "CPython", "os_name": "posix",
        "sys_platform": "linux", "platform_system": "Linux", "platform_machine": platform(name).machine,
        "python_version": major_minor, "python_full_version": full, "implementation_version": full,
        "platform_release": "", "platform_version": "", "extra": "",
    }


def conda_virtual_packages(name: str, cuda: str | None) -> tuple[tuple[str, str, str], ...]:
    """(name, version, build) of what a target offers a conda solve: Linux, glibc, the CPU, a CUDA driver."""
    packages = [("__unix", "0", "0"), ("__linux", LINUX_KERNEL, "0"), ("__glibc", glibc_text(), "0"),
                ("__archspec", "1", platform(name).machine)]
    if cuda:
        packages.append(("__cuda", cuda, "0"))
    return tuple(packages)
