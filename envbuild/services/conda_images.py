"""The build context of a conda image: conda archives, the installer and the pip part's wheels.

Everything is fetched by the lock's URLs and hash-checked on the host (conda archives by sha256 and
md5, the pip part's wheels by sha256) into ``$ENVBUILD_CACHE/archives``; the builder stage installs
offline.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from envbuild.adapters.files import link_or_copy
from envbuild.adapters.wheelhouse import Wheel, Wheelhouse, install_requirements
from envbuild.core.condalock import CondaLock, CondaPackage
from envbuild.core.envvars import expand
from envbuild.core.lockfile import DEFAULT_INDEX, Pin, parse_pins
from envbuild.core.spec import Spec, Target
from envbuild.core.progress import Progress

INSTALLER_PINS = Path(__file__).resolve().parent.parent / "data" / "conda-installer.txt"
INSTALLER_SCRIPT = Path(__file__).resolve().parent.parent / "conda_installer.py"


def conda_context(spec: Spec, target: Target, lock: CondaLock, context: Path,
                  progress: Progress) -> tuple[list[Wheel], dict[str, str]]:
    """Fill context/conda; return the wheels to put in context/wheels and the files for context/envbuild."""
    from envbuild.adapters.conda import fetch_packages

    archives = fetch_packages(lock.conda, None, progress, lambda url: expand(url, os.environ))
    folder = context / "conda"
    folder.mkdir()
    for archive in archives:
        link_or_copy(archive, folder / archive.name)
    plan = install_plan(lock.conda, [f"/tmp/conda/{archive.name}" for archive in archives])
    (folder / "plan.json").write_text(plan, encoding="utf-8")
    shutil.copyfile(INSTALLER_SCRIPT, folder / "install.py")

    installer_pins = parse_pins(INSTALLER_PINS.read_text(encoding="utf-8"), "envbuild/data/conda-installer.txt").pins
    house = Wheelhouse()
    index = spec.index_url(target)
    # py-rattler from the spec's index (a PyPI mirror has it), else from PyPI: it is pinned by hash.
    installer = house.fetch(installer_pins, python=spec.python, platform=spec.platform,
                            index_url=expand(index, os.environ),
                            extra_index_urls=[] if index == DEFAULT_INDEX else [DEFAULT_INDEX], log=progress)
    pip_wheels = _pip_part(spec, target, lock, house, progress)
    files = {"installer.txt": install_requirements(installer), "install.txt": install_requirements(pip_wheels)}
    return [*installer, *pip_wheels], files


def _pip_part(spec: Spec, target: Target, lock: CondaLock, house: Wheelhouse, progress: Progress) -> list[Wheel]:
    """Wheels by the URL and sha256 the lock names; an sdist is built into a wheel by the wheelhouse."""
    from envbuild.adapters.conda import fetch_packages

    wheels = [p for p in lock.pip if p.file_name.endswith(".whl")]
    paths = fetch_packages(wheels, None, progress, lambda url: expand(url, os.environ)) if wheels else []
    found = [Wheel(name=p.key, version=p.version, path=path, sha256=p.sha256) for p, path in zip(wheels, paths)]
    sdists = [Pin(name=p.key, version=p.version, hashes=(f"sha256:{p.sha256}",)) for p in lock.pip
              if not p.file_name.endswith(".whl")]
    if sdists:
        found += house.fetch(sdists, python=lock.python or spec.python, platform=spec.platform,
                             index_url=expand(spec.index_url(target), os.environ),
                             extra_index_urls=[expand(u, os.environ) for u in spec.extra_index_urls(target)],
                             log=progress)
    return found


def install_plan(packages: Sequence[CondaPackage], files: Sequence[str]) -> str:
    """What conda_installer.py reads: each archive's path where it runs, its hashes, and the URL and
    channel its conda-meta record names."""
    plan = [{"file": file, "sha256": p.sha256, "md5": p.md5, "url": p.url, "channel": _channel_of(p.url)}
            for p, file in zip(packages, files)]
    return json.dumps({"packages": plan}, indent=1, sort_keys=True) + "\n"


def _channel_of(url: str) -> str:
    """https://conda.anaconda.org/conda-forge/linux-64/x.conda → https://conda.anaconda.org/conda-forge"""
    return url.rsplit("/", 2)[0]
