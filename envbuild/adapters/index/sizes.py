"""The size of each pin's locked file, for the layer plan (core/spec/layers.py), asked at lock time.

Sizes come with uv's list of each pin's files (adapters/index/pin_files.py: the sizes PyPI and most
mirrors publish, PEP 700); a file built here (an sdist's wheel, a git commit's) is measured in the
wheel cache. What neither tells stays unknown and counts as small: an index without sizes costs
layering precision, never the lock. The file that counts is the largest locked wheel the target can
install (the sdist where it has none).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from packaging.tags import Tag
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from envbuild.core.spec.layers import RECORDED_FROM
from envbuild.core.lock import Package
from envbuild.core.platforms import supported_tags
from envbuild.core.lock.pylock_files import PinFiles
from envbuild.core.progress import Progress


def locked_sizes(pins: Sequence[Package], files: Mapping[str, PinFiles], *, python: str, platform: str,
                 wheel_cache: Path, progress: Progress) -> dict[str, int]:
    """name → bytes, for the pins whose locked file is at least RECORDED_FROM. ``files``: each pin's
    installable files, as uv named them with their sizes (adapters/index/pin_files.py)."""
    from envbuild.adapters.files import entry_folder

    tags = supported_tags(python, platform)
    wanted = {p.name: p.sha256s for p in pins}
    sizes: dict[str, int] = {}
    for name, hexes in wanted.items():  # built here: measured where the cache keeps it
        for hexdigest in hexes:
            folder = entry_folder(wheel_cache, hexdigest)
            for path in folder.glob("*.whl") if folder.is_dir() else ():
                if installable(path.name, tags):
                    sizes[name] = max(sizes.get(name, 0), path.stat().st_size)
    asked = [n for n in wanted if n not in sizes]
    answered = 0
    for name in asked:
        size = _largest(files.get(name), wanted[name], tags)
        if size is not None:
            sizes[name] = size
            answered += 1
    if asked and not answered:
        progress("no file sizes from the index (it serves no PEP 691 JSON pages with PEP 700 sizes): the layer plan "
            "counts every package as small; name large ones under 'layers.groups'")
    return {name: size for name, size in sizes.items() if size >= RECORDED_FROM}


def _largest(found: PinFiles | None, hexes: frozenset[str], tags: set[Tag]) -> int | None:
    """The largest locked wheel the target can install, else the sdist's size."""
    if found is None:
        return None
    wheels = [f.size for f in found.wheels if f.size is not None and f.sha256 in hexes and installable(f.filename, tags)]
    if wheels:
        return max(wheels)
    sdist = found.sdist
    return sdist.size if sdist is not None and sdist.sha256 in hexes else None


def installable(filename: str, tags: set[Tag]) -> bool:
    """A wheel the target can install (one of its tags among ``tags``)."""
    if not filename.endswith(".whl"):
        return False
    try:
        return bool(set(parse_wheel_filename(filename)[3]) & tags)
    except InvalidWheelFilename:
        return False
