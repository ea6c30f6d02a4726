"""The marker environment of a target (Python X.Y on linux/<arch>), for evaluating PEP 508 markers. Pure."""

from __future__ import annotations

from collections.abc import Iterable

from packaging.markers import InvalidMarker, Marker, UndefinedComparison, UndefinedEnvironmentName

from envbuild.core.lockfile import Pin
from envbuild.core.platforms import marker_environment


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
