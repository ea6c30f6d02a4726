"""Where the pip ecosystem's locked wheels come from: the lock's indexes (${VAR}s expanded), a wheel
built again from its commit, envbuild's wheel cache as the expected side of `verify --files` (each
locked wheel's own RECORD), and the wheels that vouch for what may be installed without being
locked (pip, setuptools, wheel, --allow-extra)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from envbuild.core.lock import Lock, Package
from envbuild.core.progress import Progress
from envbuild.ecosystems.ecosystem import WheelSource
from envbuild.core.envvars import expand, expand_all
from envbuild.errors import BuildError

if TYPE_CHECKING:
    from envbuild.core.snapshot import Distribution, Snapshot
    from envbuild.adapters.index.wheelhouse import Wheelhouse
    from envbuild.core.findings import Finding


class CacheWheels:
    """The default WheelSource: envbuild's wheel cache, downloading what it lacks. ``prefetch(lock)``
    checks, reads and parses the RECORD of every locked wheel the cache already holds, ahead of
    time: `verify --files` does it while the probes hash (~0.3 s of CPU for 185 wheels, most of it
    their sha256), and fetch() then finds them done."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self._houses: dict[int, "Wheelhouse"] = {}
        self._records: dict[Path, str] = {}

    def _house(self, lock: Lock) -> "Wheelhouse":
        from envbuild.adapters.index.wheelhouse import Wheelhouse
        from envbuild.core.epoch import epoch_of

        epoch = epoch_of(lock.exclude_newer)
        if epoch not in self._houses:
            self._houses[epoch] = Wheelhouse(environ=self.environ, epoch=epoch)
        return self._houses[epoch]

    def _record(self, path: Path) -> str:
        from envbuild.adapters.index.wheel_record import wheel_record_text

        if path not in self._records:
            self._records[path] = wheel_record_text(path)
        return self._records[path]

    def prefetch(self, lock: Lock) -> None:
        from envbuild.core.check.ownership import wheel_record

        for wheel in self._house(lock).cached([p for p in lock.pip if p.hashes], python=lock.python or "",
                                              platform=lock.platform):
            try:
                wheel_record(wheel.name, self._record(wheel.path))  # parsed now, remembered by wheel_record
            except BuildError:
                continue  # said by fetch(), if the environment has that package

    def archives(self, lock: Lock, pins: Sequence[Package], progress: Progress) -> dict[str, Path]:
        """name → the conda package archive each pin names, hash-checked, from the cache or its URL."""
        from envbuild.core.envvars import expand

        paths = self._house(lock).fetch_files(pins, progress, lambda url: expand(url, self.environ))
        return {pin.name: path for pin, path in zip(pins, paths)}

    def vouch(self, lock: Lock, name: str, version: str) -> list[str] | None:
        """The sha256 of each wheel of ``name`` ``version`` on the lock's indexes (downloads.version_hashes),
        kept in the cache once answered: a published version's files do not change (an index refuses
        a file name twice), so a verify asks the index once per version, and works offline after."""
        import hashlib
        import json

        from envbuild.adapters.index.downloads import version_hashes
        from envbuild.adapters.files import recall, remember

        indexes = lock_indexes(lock, self.environ)
        urls = [indexes["index_url"], *indexes["extra_index_urls"]]
        key = hashlib.sha256(json.dumps([urls, name, version]).encode()).hexdigest()  # URLs may hold a credential
        kept = self._house(lock).cache.parent / "vouched" / f"{key}.json"
        found = recall(kept)
        if isinstance(found, list) and found and all(isinstance(h, str) for h in found):
            return found
        hashes = version_hashes(name, version, urls)
        if hashes:  # none (no such version) is asked again: it may be published later
            remember(kept, sorted(hashes))
        return hashes

    def __call__(self, lock: Lock, pins: Sequence[Package], progress: Progress,
                 exact_tags: Sequence[str] | None = None) -> Mapping[str, str]:
        house = self._house(lock)
        rebuild_vcs(lock, house, self.environ, progress)
        found = house.fetch(pins, python=lock.python or "", platform=lock.platform,
                            **lock_indexes(lock, self.environ), progress=progress, exact_tags=exact_tags)
        return {wheel.name: self._record(wheel.path) for wheel in found}


def allowed_names(lock: Lock, allow_extra: Iterable[str]) -> set[str]:
    """What may be installed without being locked: --allow-extra's names, and the packaging tools a
    venv is seeded with unless the lock pins them (core/check/verify.SEEDED)."""
    from envbuild.core.names import canonical_name
    from envbuild.core.check.verify import SEEDED

    locked = {p.name for p in lock.pip}
    return ({canonical_name(n) for n in allow_extra} | SEEDED) - locked


def vouched_pins(lock: Lock, installed: Mapping[str, "Distribution"], allowed: Iterable[str],
                 wheels: WheelSource) -> tuple[list[Package], list["Finding"], list[str]]:
    """No distribution owns files by its own say-so: each ``allowed`` one installed is pinned to the
    wheels of its installed version on the lock's index (their sha256), so that its files are judged
    by that wheel's RECORD. One the index has, but not at that version: a finding. Where no index
    answers (offline, or a private index without it): left to its own RECORD, and named (the third
    list: "NAME VERSION: why", for a note)."""
    from envbuild.core.findings import Finding

    vouch = getattr(wheels, "vouch", None)
    pins: list[Package] = []
    findings: list[Finding] = []
    unvouched: list[str] = []
    for name in sorted(set(allowed) & installed.keys()):
        version = installed[name].version
        hashes = vouch(lock, name, version) if vouch is not None else None
        if hashes is None:
            unvouched.append(f"{name} {version}: no index of the lock answered for it")
        elif not hashes:
            findings.append(Finding(kind="modified", name=name, expected=f"a wheel of {name} {version} on the index",
                                    actual="none there", detail="allowed without being locked, and no wheel on the "
                                    "lock's index vouches for its files: they are its own word"))
        else:
            pins.append(Package(name=name, version=version, hashes=tuple(f"sha256:{h}" for h in sorted(hashes))))
    return pins, findings, unvouched


def cache_wheels(environ: Mapping[str, str]) -> CacheWheels:
    """The default WheelSource: envbuild's wheel cache, downloading what it lacks."""
    return CacheWheels(environ)


def other_variants(pins: Sequence[Package], installed: Mapping[str, "Distribution"],
                    records: Mapping[str, Any], snapshot: "Snapshot") -> dict[tuple[str, ...], list[Package]]:
    """Pins whose installed WHEEL file is not the fetched wheel's, grouped by the tags the installed
    WHEEL file records."""
    manifest = snapshot.site_files
    groups: dict[tuple[str, ...], list[Package]] = {}
    for pin in pins:
        dist, record = installed[pin.name], records.get(pin.name)
        present = manifest.get(dist.location) or {}
        wheel_file = f"{dist.metadata_dir}/WHEEL"
        if record is None or wheel_file not in present or present[wheel_file] == record.files.get(wheel_file):
            continue
        tags = tuple(sorted(dist.wheel_tags))
        if tags:
            groups.setdefault(tags, []).append(pin)
    return groups


def rebuild_vcs(lock: Lock, wheels: "Wheelhouse", environ: Mapping[str, str], progress: Progress) -> None:
    """A pin built from a commit whose wheel this cache lacks: build it again and demand the locked hash."""
    if not lock.vcs:
        return  # and no git tooling imported
    from envbuild.adapters.index.vcs import build_commit, split_url
    from envbuild.adapters.index.wheelhouse import entry_folder

    for name, url, _source in lock.vcs:
        package = lock.package(name)
        if package is None or any(entry_folder(wheels.cache, h.split(":", 1)[1]).is_dir() for h in package.hashes):
            continue
        repository, commit, subdirectory = split_url(url)
        _wheel, digest, _name, _version = build_commit(
            expand(repository, environ), commit or "", subdirectory, wheels=wheels, environ=environ,
            index_url=expand(lock.index_url, environ), extra_index_urls=expand_all(lock.extra_index_urls, environ),
            progress=progress)
        if f"sha256:{digest}" not in package.hashes:
            raise BuildError(f"{name} {package.version}: the wheel built again from {url} has sha256 {digest[:16]}…, "
                             "which the lock does not list (its build is not reproducible)",
                             hint="re-lock on this machine, or make the project's build honour SOURCE_DATE_EPOCH")


def lock_indexes(lock: Lock, environ: Mapping[str, str]) -> dict[str, Any]:
    """The lock's index URLs with their ${VAR}s expanded, as keyword arguments of Wheelhouse.fetch."""
    return {"index_url": expand(lock.index_url, environ),
            "extra_index_urls": list(expand_all(lock.extra_index_urls, environ)),
            "find_links": list(expand_all(lock.find_links, environ))}
