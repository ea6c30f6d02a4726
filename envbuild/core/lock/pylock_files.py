"""uv's PEP 751 pylock.toml → one file per package for one target. Pure.

A conda-lock pip entry names one file (URL and sha256), not every wheel of a version: the best
wheel for the target's tags, or the sdist when no wheel fits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from packaging.tags import Tag
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from envbuild.core.markers import applies
from envbuild.errors import UserError


@dataclass(frozen=True, kw_only=True)
class PipFile:
    name: str
    version: str
    url: str
    sha256: str


def conda_constraints(packages: Iterable[tuple[str, str]]) -> list[str]:
    """Python packages conda installs, as pip constraints at conda's versions (conda versions that are
    not PEP 440 versions cannot be held and are skipped)."""
    lines = []
    for name, version in packages:
        if name == "python":
            continue
        try:
            lines.append(f"{canonicalize_name(name)}=={Version(version)}")
        except InvalidVersion:
            continue
    return sorted(lines)


def choose_files(text: str, tags: set[Tag], provided: set[str], marker_env: dict[str, str] | None = None) -> list[PipFile]:
    """``provided``: names conda installs; those are left to conda."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]

    doc = tomllib.loads(text)
    conda_names = {canonicalize_name(n) for n in provided}
    files = []
    for package in doc.get("packages", []):
        name = canonicalize_name(package["name"])
        if name in conda_names or not _applies(package.get("marker"), marker_env):
            continue
        best = _best_wheel(package.get("wheels", []), tags)
        chosen = best or package.get("sdist")
        if not chosen:
            raise UserError(f"no file of {name} {package.get('version')} installs on this target",
                            hint="pin a version that has a wheel for the target's Python and platform")
        files.append(PipFile(name=name, version=str(package["version"]), url=chosen["url"],
                             sha256=chosen["hashes"]["sha256"]))
    return sorted(files, key=lambda f: f.name)


def _applies(marker: str | None, env: dict[str, str] | None) -> bool:
    return env is None or applies(marker, env)


def _best_wheel(wheels: list[dict[str, Any]], tags: set[Tag]) -> dict[str, Any] | None:
    """Most specific first: a CPython-specific build over abi3 over pure Python, newest manylinux first."""
    best, best_rank = None, None
    for wheel in wheels:
        filename = wheel["url"].rsplit("/", 1)[-1]
        try:
            wheel_tags = parse_wheel_filename(filename)[3]
        except InvalidWheelFilename:
            continue
        fitting = [t for t in wheel_tags if t in tags]
        if not fitting:
            continue
        rank = max(_rank(t) for t in fitting)
        if best_rank is None or rank > best_rank:
            best, best_rank = wheel, rank
    return best


def _rank(tag: Tag) -> tuple[int, int, int]:
    abi = 2 if tag.abi.startswith("cp") else 1 if tag.abi == "abi3" else 0
    platform = 0 if tag.platform == "any" else 1
    glibc = 0
    if tag.platform.startswith("manylinux_2_"):
        glibc = int(tag.platform.split("_")[2])
    return (platform, abi, glibc)


@dataclass(frozen=True, kw_only=True)
class LockedFile:
    """One file of a pin as uv's pylock.toml names it: where it is, how big, its sha256."""

    filename: str
    url: str  # an http(s) URL, or a local path (a find-links directory's file)
    size: int | None
    sha256: str


@dataclass(frozen=True, kw_only=True)
class PinFiles:
    """The files of one pin that the target can install: its wheels (none: it is built from the sdist)."""

    wheels: tuple[LockedFile, ...]
    sdist: LockedFile | None


def files_to_json(files: PinFiles) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(files)


def files_from_json(data: object) -> PinFiles | None:
    """What files_to_json wrote; None for anything else (a damaged memory is asked again)."""
    if not isinstance(data, dict) or not isinstance(data.get("wheels"), list):
        return None
    wheels = tuple(_from_json(w) for w in data["wheels"])
    sdist = _from_json(data["sdist"]) if data.get("sdist") is not None else None
    if any(w is None for w in wheels) or (data.get("sdist") is not None and sdist is None):
        return None
    return PinFiles(wheels=wheels, sdist=sdist)  # type: ignore[arg-type]


def _from_json(entry: object) -> LockedFile | None:
    if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in ("filename", "url", "sha256")):
        return None
    size = entry.get("size")
    return LockedFile(filename=entry["filename"], url=entry["url"], sha256=entry["sha256"],
                      size=size if isinstance(size, int) else None)


def pin_files(text: str) -> dict[str, PinFiles]:
    """name → its files, from pylock.toml text that uv wrote for one target (uv lists only the wheels
    the target's tags accept). An entry without a sha256 is left out: it pins nothing."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]

    found: dict[str, PinFiles] = {}
    for package in tomllib.loads(text).get("packages", []):
        if not isinstance(package, dict) or not isinstance(package.get("name"), str):
            continue
        wheels = tuple(f for f in map(_locked_file, package.get("wheels") or []) if f is not None)
        found[canonicalize_name(package["name"])] = PinFiles(wheels=wheels, sdist=_locked_file(package.get("sdist")))
    return found


def _locked_file(entry: object) -> LockedFile | None:
    if not isinstance(entry, dict):
        return None
    where = entry.get("url") or entry.get("path")
    hashes = entry.get("hashes")
    if not isinstance(where, str) or not isinstance(hashes, dict) or not isinstance(hashes.get("sha256"), str):
        return None
    size = entry.get("size")
    return LockedFile(filename=str(entry.get("name") or where.rsplit("/", 1)[-1]), url=where,
                      size=size if isinstance(size, int) else None, sha256=hashes["sha256"])
