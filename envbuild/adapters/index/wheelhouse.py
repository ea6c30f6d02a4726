"""Fetch the locked wheels for a target into a content-addressed cache, checking every sha256.

Layout: <cache>/sha256/<hex[:2]>/<hex>/<filename> — a file is stored under its own hash, so a cache
entry that no longer hashes to its name has been tampered with (or rotted) and stops the build.
Missing files are downloaded with `pip download` for the target's Python and platform (pip checks
the lock's hashes, and envbuild checks them again before anything enters the cache).

A package with no wheel for the target but a pure-Python sdist has its wheel built at lock time,
from the hash-checked sdist, with SOURCE_DATE_EPOCH set (the lock's exclude-newer), and that
wheel's sha256 joins the pin's hashes in the lock (pip, installing the sdist, still accepts it).
From then on it is one more locked file: cached under its own hash, checked like every other. No
file of the cache vouches for another (a planted wheel and a planted ".sha256" beside it used to).
When the cache lacks it, `build` builds it again and the result must have the locked hash.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.tags import Tag, parse_tag
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from envbuild.adapters.cache import cache_root
from envbuild.adapters.files import entry_dir, entry_folder, sha256_file, store
from envbuild.adapters.process import run
from envbuild.adapters.index.wheel_check import check_wheel
from envbuild.core.lock import Package
from envbuild.core.platforms import platform as platform_facts, ranked_tags, supported_tags
from envbuild.core.progress import Progress
from envbuild.core.redact import redact_text
from envbuild.errors import BuildError, ToolUnavailable

if TYPE_CHECKING:
    from envbuild.core.lock.pylock_files import LockedFile, PinFiles



_Sources = tuple[str, Sequence[str], Sequence[str]]  # (index URL, extra index URLs, find-links URLs): where pip looks, credentials expanded


@dataclass(frozen=True, kw_only=True)
class Wheel:
    name: str
    version: str
    path: Path
    sha256: str


class Wheelhouse:
    def __init__(self, cache: Path | None = None, environ: Mapping[str, str] | None = None, *,
                 epoch: int = 0) -> None:
        """``epoch``: SOURCE_DATE_EPOCH for wheels built from sdists (the lock's exclude-newer)."""
        self.environ = os.environ if environ is None else environ
        self.cache = cache or cache_root(self.environ) / "wheels"
        self.epoch = str(epoch)
        self._checked: dict[Path, str] = {}  # cache files hashed by this process: each is read once
        self._listed: dict[str, list[str]] = {}

    def cached(self, pins: Sequence[Package], *, python: str, platform: str) -> list[Wheel]:
        """The pins' wheels for the target that the cache holds, checked; nothing is downloaded and
        nothing said. A cache file that fails its check is left for fetch() to report."""
        tags = supported_tags(python, platform)
        found = []
        for pin in pins:
            try:
                wheel = self._cached(pin, tags)
            except BuildError:
                continue
            if wheel is not None:
                found.append(wheel)
        return found

    def for_epoch(self, epoch: int) -> "Wheelhouse":
        """The same cache, building sdists with this SOURCE_DATE_EPOCH (a lock's exclude-newer)."""
        return Wheelhouse(self.cache, self.environ, epoch=epoch)

    def fetch(self, pins: Sequence[Package], *, python: str, platform: str, index_url: str,
              extra_index_urls: Sequence[str], progress: Progress, exact_tags: Sequence[str] | None = None,
              find_links: Sequence[str] = ()) -> list[Wheel]:
        """``exact_tags`` ("cp311-cp311-manylinux_2_34_x86_64", as a WHEEL file lists them): the very
        variant an environment installed instead of the target's best (verify asks for it: a newer
        glibc's wheel, or the platform wheel of a package that also ships a pure one)."""
        if exact_tags:
            tags = {tag for text in exact_tags for tag in parse_tag(text)}
            plats = sorted({tag.platform for tag in tags} - {"any"}) or platform_facts(platform).wheel_platforms
        else:
            plats, tags = platform_facts(platform).wheel_platforms, supported_tags(python, platform)
        found: dict[str, Wheel] = {}
        for pin in pins:
            wheel = self._cached(pin, tags)
            if wheel:
                found[pin.name] = wheel
        missing = [p for p in pins if p.name not in found]
        if not missing:
            progress(f"{'the wheel' if len(pins) == 1 else f'all {len(pins)} wheels'} already in the cache ({self.cache})")
            return [found[p.name] for p in pins]
        progress(f"downloading {len(missing)} of {len(pins)} wheels for Python {python} on {platform}")
        found.update(self._direct(missing, python, platform, [index_url, *extra_index_urls], tags, progress))
        missing = [p for p in missing if p.name not in found]
        if missing:  # what the JSON pages do not answer: pip reads every kind of index
            found.update(self._download(missing, python, platform, plats, (index_url, extra_index_urls, find_links),
                                        tags, progress))
        for wheel in (found[p.name] for p in missing):  # what came from the cache was checked there (_verify)
            check_wheel(wheel.path, f"{wheel.name} {wheel.version} ({wheel.path.name})")
        return [found[p.name] for p in pins]

    def fetch_files(self, packages: Sequence[Package], progress: Progress,
                    expand: Callable[[str], str] = lambda url: url) -> list[Path]:
        """Each package by the one URL a conda-lock entry names (a conda archive, or a wheel of a conda
        lock's pip part) into the content-addressed cache (``<cache>/../archives``), sha256 (and md5
        where the lock has it) checked; their paths, in order. ``expand`` gives the ${VAR}s their values."""
        from envbuild.adapters.index.downloads import download_url

        cache = self.cache.parent / "archives"
        paths, fetched = [], 0
        for package in packages:
            folder = entry_folder(cache, package.sha256)
            path = folder / package.file_name
            if not path.is_file():
                def fetch(partial: Path, package: Package = package) -> None:
                    download_url(expand(package.url or ""), partial, package.url or "")
                    _check_file(partial, package)

                store(folder, package.file_name, fetch)
                fetched += 1
            else:
                _check_file(path, package)  # a cache entry that no longer hashes to its name stops the build
                _used(path)
            paths.append(path)
        kind = "conda packages" if all(p.manager == "conda" for p in packages) else "pip wheels"
        progress(f"{kind}: {fetched} downloaded, {len(packages) - fetched} from the cache ({cache})")
        return paths

    # ------------------------------------------------------------ cache

    def _cached(self, pin: Package, tags: set[Tag]) -> Wheel | None:
        for entry in pin.hashes:
            algo, _, hexdigest = entry.partition(":")
            if algo != "sha256":
                continue
            names = self._listing(hexdigest)
            for name in names:
                if name.startswith("."):
                    continue  # an interrupted copy
                if name.endswith(".whl") and _fits(name, tags):
                    path = entry_folder(self.cache, hexdigest) / name
                    if self._checked.get(path) != hexdigest:
                        self._verify(path, hexdigest, pin)
                        self._checked[path] = hexdigest
                        _used(path)
                    return Wheel(name=pin.name, version=pin.version, path=path, sha256=hexdigest)
        return None

    def _listing(self, hexdigest: str) -> list[str]:
        """The files of a cache entry (none: not cached), asked thousands of times (a pin names every
        file of its version): plain strings and one listdir (Path and glob() cost ~0.3 ms a pin). Found,
        it is remembered until this Wheelhouse writes there; not found, looked for again."""
        if hexdigest in self._listed:
            return self._listed[hexdigest]
        try:
            names = sorted(os.listdir(entry_dir(self.cache, hexdigest)))
        except OSError:
            return []
        self._listed[hexdigest] = names
        return names

    def _verify(self, path: Path, expected: str, pin: Package) -> None:
        """Its sha256 (every time: a shared cache may be written by others), then its structure (once)."""
        actual = sha256_file(path)
        if actual != expected:
            raise BuildError(
                f"{pin.name} {pin.version}: the cached file {path.name} does not match its sha256 "
                f"(expected {expected[:16]}…, got {actual[:16]}…): it was modified after download",
                hint=f"remove {path.parent} and build again; if it recurs, check who writes to {self.cache}")
        check_wheel(path, f"{pin.name} {pin.version} ({path.name})")

    def keep(self, path: Path, hexdigest: str) -> Path:
        """A wheel built here (the project's), kept in the cache under its sha256."""
        return self._store(path, hexdigest)

    def _store(self, path: Path, hexdigest: str) -> Path:
        self._listed.pop(hexdigest, None)
        target = entry_folder(self.cache, hexdigest) / path.name
        if target.exists():
            return target
        return store(target.parent, path.name, lambda tmp: shutil.copyfile(path, tmp))

    # ------------------------------------------------------------ download

    def _direct(self, pins: Sequence[Package], python: str, platform: str, index_urls: Sequence[str],
                tags: set[Tag], progress: Progress) -> dict[str, Wheel]:
        """The pins whose file the index's JSON pages name, fetched in parallel with progress (downloads.py)."""
        from envbuild.adapters.index.downloads import Remote, download, find_remote, stream

        ranked = [tag for tag in ranked_tags(python, platform) if tag in tags] + sorted(tags, key=str)
        remotes = find_remote(pins, [u for u in index_urls if u.startswith(("http://", "https://"))], ranked)
        if not remotes:
            return {}

        def fetch_one(remote: Remote, add: Callable[[int], None]) -> Path:
            def write(partial: Path) -> None:
                try:
                    stream(remote.url, partial, add)
                except (OSError, ValueError) as exc:
                    reason = redact_text(str(getattr(exc, "reason", None) or exc))
                    raise ToolUnavailable(f"cannot fetch {remote.filename} for {remote.pin.name} {remote.pin.version}: "
                                          f"{reason}", hint="check the index, or build again") from None
                actual = sha256_file(partial)
                if actual != remote.sha256:
                    raise BuildError(f"{remote.pin.name} {remote.pin.version}: {remote.filename} arrived with sha256 "
                                     f"{actual[:16]}…, not the {remote.sha256[:16]}… the lock and the index name",
                                     hint="build again; if it recurs, find out who serves that file")

            self._listed.pop(remote.sha256, None)
            return store(entry_folder(self.cache, remote.sha256), remote.filename, write)

        paths = download(list(remotes.values()), fetch_one, progress, self.environ)
        return {name: Wheel(name=name, version=remotes[name].pin.version, path=path, sha256=remotes[name].sha256)
                for name, path in paths.items()}

    def _env(self, sources: "_Sources") -> dict[str, str]:
        from envbuild.adapters.index.resolvers import index_env, resolver_env  # the download path only: importlib.metadata

        return resolver_env(self.environ) | index_env("pip", *sources)

    def _download(self, pins: Sequence[Package], python: str, platform: str, platforms: Sequence[str],
                  sources: "_Sources", tags: set[Tag], progress: Progress) -> dict[str, Wheel]:
        by_name = {p.name: p for p in pins}
        with tempfile.TemporaryDirectory(prefix="envbuild-wheels-") as tmp:
            work = Path(tmp)
            (work / "req.txt").write_text("".join(_requirement_line(p) for p in pins), encoding="utf-8")
            argv = [sys.executable, "-m", "pip", "download", "--no-deps", "--require-hashes", "--only-binary=:all:",
                    "--dest", str(work / "dl"), "-r", str(work / "req.txt"), "--python-version", python,
                    "--implementation", "cp", "--progress-bar", "off"]
            for plat in platforms:
                argv += ["--platform", plat]
            done = run(argv, env=self._env(sources), timeout=3600)
            no_wheel = _no_wheel_for(done.stderr)
            if done.returncode != 0 and not no_wheel:
                raise _download_error(done.stderr, by_name)
            if no_wheel:  # pip stops at the first one: fetch the others, then build the sdist-only ones
                rest = [p for p in pins if p.name not in no_wheel]
                fetched = self._download(rest, python, platform, platforms, sources, tags, progress) if rest else {}
                for name in sorted(no_wheel):
                    fetched[name] = self._build_sdist(by_name[name], None, python, platform, sources, progress, locked=True)
                return fetched
            result: dict[str, Wheel] = {}
            for path in sorted((work / "dl").iterdir()):
                name, version = _wheel_name(path.name)
                pin = by_name.get(name)
                if pin is None:
                    raise BuildError(f"pip downloaded {path.name}, which the lock does not pin")
                actual = sha256_file(path)
                if f"sha256:{actual}" not in pin.hashes:  # pip checked it too; never trust a single check
                    raise BuildError(f"{pin.name} {pin.version}: {path.name} has sha256 {actual[:16]}…, "
                                     "which the lock does not list", hint="re-lock, or find out who serves that file")
                stored = self._store(path, actual)
                result[name] = Wheel(name=name, version=pin.version, path=stored, sha256=actual)
            absent = sorted(set(by_name) - set(result))
            if absent:
                raise BuildError(f"no file was downloaded for {', '.join(absent)}")
            return result

    def build_from_sdists(self, pins: Sequence[Package], files: Mapping[str, "PinFiles"], *, python: str, platform: str,
                          index_url: str, extra_index_urls: Sequence[str], progress: Progress,
                          find_links: Sequence[str] = ()) -> dict[str, str]:
        """Lock time, for pins with no wheel for the target: name → sha256 of the wheel built from
        the hash-checked sdist that ``files`` names (adapters/index/sdists.py), cached under that hash like
        any downloaded wheel; several at once."""
        from concurrent.futures import ThreadPoolExecutor

        sources = (index_url, extra_index_urls, find_links)

        def one(pin: Package) -> str:
            found = files.get(pin.name)
            return self._build_sdist(pin, found.sdist if found else None, python, platform, sources, progress,
                                     locked=False).sha256

        with ThreadPoolExecutor(max_workers=max(1, min(4, len(pins)))) as pool:
            return dict(zip((p.name for p in pins), pool.map(one, pins)))

    def _build_sdist(self, pin: Package, sdist: "LockedFile | None", python: str, platform: str, sources: "_Sources",
                     progress: Progress, *, locked: bool) -> Wheel:
        """``locked``: the wheel's sha256 must be one the lock lists (build time); else it is new
        (lock time) and goes into the lock. Either way it must be pure Python."""
        from envbuild.adapters.index.sdists import build_from_sdist

        digest, path = build_from_sdist(self, pin, sdist, python=python, platform=platform, sources=sources, progress=progress)
        if not _fits(path.name, supported_tags(python, platform)) or not path.name.endswith("-none-any.whl"):
            raise BuildError(f"{pin.name} {pin.version} has no wheel for {platform} and its sdist builds "
                             f"{path.name}, which is not pure Python",
                             hint="build it for the target platform yourself and publish it to an index")
        if locked and f"sha256:{digest}" not in pin.hashes:
            raise BuildError(f"{pin.name} {pin.version}: the wheel built from its sdist has sha256 {digest[:16]}…, "
                             "which the lock does not list (its build is not reproducible, or the lock predates "
                             "envbuild locking built wheels)",
                             hint="re-lock: 'envbuild lock' builds the wheel and records its sha256")
        return Wheel(name=pin.name, version=pin.version, path=path, sha256=digest)


def _used(path: Path) -> None:
    """A cache file's mtime is its last use (`envbuild prune --cache-older-than DAYS`), set at most daily:
    build contexts link these files, and BuildKit resends every file whose mtime moved."""
    import time

    try:
        if time.time() - path.stat().st_mtime > 86400:
            os.utime(path)
    except OSError:
        pass  # a read-only shared cache: never trimmed by age, never an error


def _check_file(path: Path, package: Package) -> None:
    sha, md5 = hashlib.sha256(), hashlib.md5()  # noqa: S324 - md5 is what conda records, next to sha256
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
            md5.update(block)
    if sha.hexdigest() != package.sha256 or (package.md5 and md5.hexdigest() != package.md5):
        path.unlink(missing_ok=True)
        raise BuildError(f"{package.file_name} does not match the hashes in the lock "
                         f"(sha256 {sha.hexdigest()[:16]}…, lock {package.sha256[:16]}…)",
                         hint="the channel serves a different file than when the lock was written: re-lock, "
                         "or find out why it changed")


def install_requirements(wheels: Sequence[Wheel]) -> str:
    """What the image's pip installs: each wheel by name, version and the hash of that very file."""
    return "".join(f"{w.name}=={w.version} --hash=sha256:{w.sha256}\n" for w in sorted(wheels, key=lambda w: w.name))


def _requirement_line(pin: Package) -> str:
    return f"{pin.name}=={pin.version} " + " ".join(f"--hash={h}" for h in pin.hashes) + "\n"


def _fits(filename: str, tags: set[Tag]) -> bool:
    try:
        _, _, _, file_tags = parse_wheel_filename(filename)
    except InvalidWheelFilename:
        return False
    return bool(set(file_tags) & tags)


def _wheel_name(filename: str) -> tuple[str, str]:
    try:
        name, version, _, _ = parse_wheel_filename(filename)
        return canonicalize_name(name), str(version)
    except InvalidWheelFilename:
        stem = filename.rsplit("-", 1)[0]
        return canonicalize_name(stem), filename


def _no_wheel_for(stderr: str) -> set[str]:
    return {canonicalize_name(m) for m in re.findall(r"No matching distribution found for ([A-Za-z0-9._-]+)", stderr)}


def _download_error(stderr: str, pins: Mapping[str, Package]) -> Exception:
    mismatch = re.findall(r"^\s+([A-Za-z0-9._-]+)==([^\s]+) from \S+", stderr, re.MULTILINE)
    if "DO NOT MATCH THE HASHES" in stderr and mismatch:
        named = ", ".join(f"{n} {v}" for n, v in mismatch)
        return BuildError(f"downloaded files do not match the lock's hashes: {named}",
                          details="\n".join(line for line in stderr.splitlines() if "Expected" in line or "Got" in line)[:2000],
                          hint="the index serves a different file than was locked (rebuilt, re-uploaded or "
                          "substituted): re-lock only if you trust the new file")
    lowered = stderr.lower()
    if any(m in lowered for m in ("could not fetch url", "max retries exceeded", "connection refused",
                                  "name or service not known", "temporary failure in name resolution")):
        return ToolUnavailable("a package index could not be reached while fetching wheels",
                               details="\n".join(stderr.strip().splitlines()[-4:]))
    return BuildError("pip download failed", details="\n".join(stderr.strip().splitlines()[-10:]))

