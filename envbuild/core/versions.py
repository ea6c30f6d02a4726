"""Comparing versions: PEP 440 ones where they parse, plain dotted numbers (drivers, glibc) elsewhere. Pure."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from packaging.version import Version


def same_version(a: str, b: str) -> bool:
    """1.0 and 1.0.0 are one version; a version that is not PEP 440 equals only itself. Equal
    strings, what every package of a clean verify has, need no packaging (~3 ms to import)."""
    if a == b:
        return True
    from packaging.version import InvalidVersion, Version

    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return False


def sort_key(version: str) -> tuple[int, Version | str]:
    """Orders PEP 440 versions as PEP 440 does, after every version that is not one."""
    from packaging.version import InvalidVersion, Version

    try:
        return (1, Version(version))
    except InvalidVersion:
        return (0, version)


def version_tuple(text: str) -> tuple[int, ...]:
    """'2.36' → (2, 36), '550.54.14' → (550, 54, 14): for driver and libc versions, not PEP 440 ones."""
    return tuple(int(part) for part in re.findall(r"\d+", text))


def major_minor(version: str) -> str:
    """'12.8.90' → '12.8'."""
    return ".".join(version.split(".")[:2])
