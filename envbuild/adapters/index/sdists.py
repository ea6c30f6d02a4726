"""A wheel built from a pin's sdist, the way pip and uv build one, for a pin with no wheel for the target.

The sdist is fetched by the URL uv named for it (adapters/index/pin_files.py) and must hash to one of the
pin's sha256s; it is built with `uv build --wheel` in an isolated environment whose build
dependencies come from wheels (as of the lock's date, so that the build at image time gets the
same tools and the same bytes), with SOURCE_DATE_EPOCH set. A build that needs a compiler (cmake,
Cython, torch among its build requirements) is refused before any minute is spent on it: it would
make a platform wheel, which envbuild does not lock from source. Each sdist is built once per
process, whichever targets ask for it.
"""

from __future__ import annotations

import sys
import tarfile
import tempfile
import threading
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from envbuild.adapters.files import entry_folder, sha256_file, store
from envbuild.adapters.process import find_executable, run
from envbuild.core.epoch import iso_timestamp
from envbuild.core.lock import Package
from envbuild.core.progress import Progress
from envbuild.core.lock.pylock_files import LockedFile
from envbuild.errors import BuildError, ToolUnavailable



class Wheelhouse(Protocol):
    """The wheel cache (adapters/index/wheelhouse.py) as this module uses it."""

    environ: Mapping[str, str]
    cache: Path
    epoch: str  # SOURCE_DATE_EPOCH for the build: the lock's exclude-newer

    def keep(self, path: Path, hexdigest: str) -> Path: ...

Sources = tuple[str, Sequence[str], Sequence[str]]  # (index URL, extra index URLs, find-links URLs), credentials expanded

_BUILT: dict[tuple[str, str], str] = {}  # (sdist sha256, epoch) → the built wheel's sha256, this process
_BUILDING: dict[tuple[str, str], threading.Lock] = {}
_GUARD = threading.Lock()


def build_from_sdist(house: Wheelhouse, pin: Package, sdist: LockedFile | None, *, python: str, platform: str,
                     sources: Sources, progress: Progress) -> tuple[str, Path]:
    """(sha256, path in the cache) of the wheel built from the pin's sdist; ``sdist``: where uv found
    it (None: asked of uv now, at build time)."""
    if sdist is None:
        from envbuild.adapters.index.pin_files import locked_files

        found = locked_files([pin], python=python, platform=platform, index_url=sources[0],
                             extra_index_urls=sources[1], find_links=sources[2], environ=house.environ).get(pin.name)
        sdist = found.sdist if found else None
    if sdist is None or f"sha256:{sdist.sha256}" not in pin.hashes:
        raise BuildError(f"{pin.name} {pin.version} has no wheel for {platform}, and no sdist the lock pins is on the "
                         "configured indexes", hint="re-lock, or add the index that serves it")
    key = (sdist.sha256, house.epoch)
    with _GUARD:
        guard = _BUILDING.setdefault(key, threading.Lock())
    with guard:
        digest = _BUILT.get(key)
        if digest is not None:
            path = _in_cache(house, digest)
            if path is not None:
                return digest, path
        progress(f"{pin.name} {pin.version} has no wheel for {platform}: building one from its sdist")
        digest, path = _build(house, pin, sdist, sources)
        _BUILT[key] = digest
        return digest, path


def _in_cache(house: Wheelhouse, digest: str) -> Path | None:
    folder = entry_folder(house.cache, digest)
    return next((p for p in sorted(folder.glob("*.whl")) if sha256_file(p) == digest), None) if folder.is_dir() else None


def _build(house: Wheelhouse, pin: Package, sdist: LockedFile, sources: Sources) -> tuple[str, Path]:
    with tempfile.TemporaryDirectory(prefix="envbuild-sdist-") as tmp:
        work = Path(tmp)
        path = _fetch(house, pin, sdist, sources)
        native = _native_tools(path)
        if native:
            raise BuildError(
                f"{pin.name} {pin.version} has no wheel for the target, and its sdist needs a native build "
                f"({', '.join(native)} among its build requirements): envbuild does not compile it",
                hint=f"add an index or a find-links page that has a {pin.name} wheel for the target (index.extra, "
                f"find-links in envbuild.yaml), or pin a version of {pin.name} that publishes wheels")
        uv = find_executable("uv")
        if uv is None:
            raise ToolUnavailable("uv is not installed", hint="pip install uv")
        argv = [uv, "build", "--wheel", "--out-dir", str(work / "out"), str(path), "--python", sys.executable,
                "--no-python-downloads", "--no-config"]
        if house.epoch != "0":  # the build tools as of the lock's date: the same wheel at build time
            argv += ["--exclude-newer", iso_timestamp(int(house.epoch))]
        from envbuild.adapters.index.resolvers import index_env, resolver_env

        env = resolver_env(house.environ) | index_env("uv", *sources) | {"SOURCE_DATE_EPOCH": house.epoch}
        done = run(argv, env=env, timeout=1800, cwd=work)
        wheels = sorted((work / "out").glob("*.whl")) if (work / "out").is_dir() else []
        if done.returncode != 0 or not wheels:
            from envbuild.core.redact import redact_text

            raise BuildError(f"{pin.name} {pin.version}: its sdist did not build into a wheel",
                             details="\n".join(redact_text(done.stderr).strip().splitlines()[-8:]),
                             hint=f"pin a version of {pin.name} that publishes wheels for the target, or add an "
                             "index that has one")
        wheel = wheels[0]
        digest = sha256_file(wheel)
        return digest, house.keep(wheel, digest)


def _fetch(house: Wheelhouse, pin: Package, sdist: LockedFile, sources: Sources) -> Path:
    """The sdist in the cache under its sha256 (from there when it is already)."""
    from envbuild.adapters.index.downloads import download_url
    from envbuild.core.redact import redact_url

    folder = entry_folder(house.cache, sdist.sha256)
    name = sdist.filename.rsplit("/", 1)[-1]
    cached = folder / name
    if cached.is_file() and sha256_file(cached) == sdist.sha256:
        return cached
    url = _with_credentials(sdist.url, (sources[0], *sources[1]))

    def write(partial: Path) -> None:
        download_url(url, partial, redact_url(sdist.url))
        actual = sha256_file(partial)
        if actual != sdist.sha256:
            raise BuildError(f"{pin.name} {pin.version}: {name} arrived with sha256 {actual[:16]}…, not the "
                             f"{sdist.sha256[:16]}… the lock names", hint="re-lock, or find out who serves that file")

    return store(folder, name, write)


def _with_credentials(url: str, indexes: Sequence[str]) -> str:
    """A file URL on an index's own host gets that index's credentials back (uv leaves them out of
    the URLs it writes); a local path becomes a file: URL."""
    if "://" not in url:
        return Path(url).resolve().as_uri()
    parts = urlsplit(url)
    for index in indexes:
        own = urlsplit(index)
        if own.username is not None and own.hostname == parts.hostname and own.port == parts.port \
                and parts.username is None:
            userinfo = own.netloc.rsplit("@", 1)[0]
            return parts._replace(netloc=f"{userinfo}@{parts.netloc}").geturl()
    return url


def _native_tools(sdist: Path) -> list[str]:
    """The build requirements in the sdist's top-level pyproject.toml that mean a compiler."""
    from envbuild.core.inputs.pyproject import native_build_tools

    text = _top_level_pyproject(sdist)
    if text is None:
        return []
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return []  # the build itself will say what is wrong with it
    return native_build_tools(data)


def _top_level_pyproject(sdist: Path) -> str | None:
    try:
        if sdist.name.endswith(".zip"):
            with zipfile.ZipFile(sdist) as archive:
                names = [n for n in archive.namelist() if n.count("/") == 1 and n.endswith("/pyproject.toml")]
                return archive.read(names[0]).decode("utf-8", "replace") if names else None
        with tarfile.open(sdist) as archive:
            for member in archive:
                if member.isfile() and member.name.count("/") == 1 and member.name.endswith("/pyproject.toml"):
                    handle = archive.extractfile(member)
                    return handle.read(1 << 20).decode("utf-8", "replace") if handle else None
    except (OSError, tarfile.TarError, zipfile.BadZipFile, EOFError):
        return None
    return None

