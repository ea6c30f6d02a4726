"""The marker environment of a target (Python X.Y on linux/<arch>), for evaluating PEP 508 markers. Pure."""

from __future__ import annotations

from collections.abc import Iterable

from packaging.markers import InvalidMarker, Marker, UndefinedComparison, UndefinedEnvironmentName

from envbuild.core.lockfile import Pin

_MACHINES = {"linux/amd64": "x86_64", "linux/arm64": "aarch64"}


def marker_environment(python: str, platform: str) -> dict[str, str]:
    major_minor = ".".join(python.split(".")[:2])
    full = python if python.count(".") == 2 else f"{major_minor}.0"
    return {
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "os_name": "posix",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": _MACHINES[platform],
        "python_version": major_minor,
        "python_full_version": full,
        "implementation_version": full,
        "platform_release": "",
        "platform_version": "",
        "extra": "",
    }


def settle_markers(pins: Iterable[Pin], python: str, platform: str) -> tuple[Pin, ...]:
    """A lock is for one target: a marker true there is noise, a pin whose marker is false there is
    not installed there. Markers that cannot be evaluated (python_full_version on an X.Y target) stay.
    """
    env = marker_environment(python, platform)
    settled = []
    for pin in pins:
        if pin.marker is None or "python_full_version" in pin.marker:
            settled.append(pin)
            continue
        try:
            applies = Marker(pin.marker).evaluate(env)
        except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
            settled.append(pin)
            continue
        if applies:
            settled.append(Pin(name=pin.name, version=pin.version, hashes=pin.hashes))
    return tuple(settled)
