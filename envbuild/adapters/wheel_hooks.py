"""The start-up code each locked wheel ships, read at lock time: a `.pth` file with an executable line
or a `sitecustomize`/`usercustomize` module at the top of what it installs runs at every start of
the interpreter, before any workload. That is where 2026's compromised releases put their payload
(litellm 1.82.7: in the wheel's own RECORD), so the lock records each pin's hooks and `verify`
expects exactly those (core/verify.py).

A wheel the cache holds is read from disk; any other through the index: its central directory and
its few `.pth` members with HTTP range requests (a wheel of a gigabyte costs a few kilobytes), the
file chosen as the layer plan's is (the largest the target can install, pinned by the lock's hash).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from envbuild.core.lockfile import Package
from envbuild.core.platforms import supported_tags
from envbuild.probe.paths import pth_lines

_BLOCK = 1 << 16
_WHOLE_LIMIT = 64 << 20  # a server that ignores Range sends the whole file: read no more than this
_TIMEOUT = 30
_CUSTOMIZE = ("sitecustomize", "usercustomize")


def hooks_of(archive: zipfile.ZipFile) -> tuple[str, ...]:
    """The start-up hooks among a wheel's members: site-relative names of each `.pth` that has an
    executable line, and of each top-level customize module."""
    found = []
    for info in archive.infolist():
        name = info.filename
        top, _, rest = name.partition("/")
        if top.endswith(".data") and rest.split("/", 1)[0] in ("purelib", "platlib"):
            name = rest.split("/", 1)[1] if "/" in rest else ""
        if "/" in name or not name:
            continue
        if name.endswith(".pth"):
            if info.file_size <= (1 << 20) and pth_lines(archive.read(info).decode("utf-8", "replace"))[0]:
                found.append(name)
        elif name.split(".", 1)[0] in _CUSTOMIZE and name.endswith((".py", ".pyc", ".so")):
            found.append(name)
    return tuple(sorted(found))


def locked_hooks(pins: Sequence[Package], *, python: str, platform: str, index_urls: Sequence[str],
                 wheel_cache: Path) -> dict[str, tuple[str, ...] | None]:
    """name → the hooks its locked wheel ships (None: its wheel could be read neither from the
    cache nor through the index - an sdist-only pin built elsewhere, an index without JSON pages)."""
    tags = supported_tags(python, platform)

    def one(pin: Package) -> tuple[str, ...] | None:
        local = _cached(pin, tags, wheel_cache)
        try:
            if local is not None:
                with zipfile.ZipFile(local) as archive:
                    return hooks_of(archive)
            remote = _remote_file(pin, tags, index_urls)
            if remote is None:
                return None
            with zipfile.ZipFile(_RangeFile(*remote)) as archive:
                return hooks_of(archive)
        except (OSError, ValueError, zipfile.BadZipFile, EOFError):
            return None

    with ThreadPoolExecutor(max_workers=16) as pool:
        return dict(zip((p.name for p in pins), pool.map(one, pins)))


def _cached(pin: Package, tags: set, wheel_cache: Path) -> Path | None:
    from envbuild.adapters.files import entry_folder
    from envbuild.adapters.sizes import installable

    for entry in pin.hashes:
        folder = entry_folder(wheel_cache, entry.split(":", 1)[1])
        for path in sorted(folder.glob("*.whl")) if folder.is_dir() else ():
            if installable(path.name, tags):
                return path
    return None


def _remote_file(pin: Package, tags: set, index_urls: Sequence[str]) -> tuple[str, int] | None:
    """(URL, size) of the largest locked wheel the target can install, from the index's JSON page."""
    from urllib.parse import urljoin

    from envbuild.adapters.sizes import installable, pins_file, json_page

    hexes = {h.split(":", 1)[1] for h in pin.hashes if h.startswith("sha256:")}
    for index in index_urls:
        if not index.startswith(("http://", "https://")):
            continue
        page = f"{index.rstrip('/')}/{pin.name}/"
        files = [f for f in json_page(page) if pins_file(f, hexes) and installable(str(f.get("filename")), tags)
                 and isinstance(f.get("url"), str)]
        if files:
            best = max(files, key=lambda f: int(f["size"]))
            return urljoin(page, best["url"]), int(best["size"])
    return None


class _RangeFile(io.RawIOBase):
    """A remote file read with HTTP range requests, in blocks, for zipfile (which seeks to the end,
    reads the central directory, then the members asked for). A server that answers a range with the
    whole file (200) is read once, up to _WHOLE_LIMIT."""

    def __init__(self, url: str, size: int) -> None:
        super().__init__()
        self.url, self.size, self.position = url, size, 0
        self.blocks: dict[int, bytes] = {}
        self.whole: bytes | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = {0: offset, 1: self.position + offset, 2: self.size + offset}[whence]
        return self.position

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        end = min(self.size, self.position + len(buffer))
        data = self._span(self.position, end)
        buffer[:len(data)] = data
        self.position += len(data)
        return len(data)

    def _span(self, start: int, end: int) -> bytes:
        if start >= end:
            return b""
        if self.whole is not None:
            return self.whole[start:end]
        first, last = start // _BLOCK, (end - 1) // _BLOCK
        missing = [b for b in range(first, last + 1) if b not in self.blocks]
        if missing:
            self._fetch(missing[0] * _BLOCK, min(self.size, (missing[-1] + 1) * _BLOCK))
            if self.whole is not None:
                return self.whole[start:end]
        data = b"".join(self.blocks[b] for b in range(first, last + 1))
        return data[start - first * _BLOCK:end - first * _BLOCK]

    def _fetch(self, start: int, end: int) -> None:
        import urllib.request

        from envbuild.adapters.sizes import request_for

        request = request_for(self.url, "*/*")
        request.add_header("Range", f"bytes={start}-{end - 1}")
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:  # noqa: S310 - http(s) only
            if response.status == 200:  # no ranges here: the whole file, once
                if self.size > _WHOLE_LIMIT:
                    raise OSError(f"{self.url}: the server serves no byte ranges")
                self.whole = response.read(_WHOLE_LIMIT + 1)
                return
            data = response.read(end - start + 1)
        if len(data) != end - start:
            raise OSError(f"{self.url}: a range answered with {len(data)} bytes, not {end - start}")
        for offset in range(0, len(data), _BLOCK):
            self.blocks[(start + offset) // _BLOCK] = data[offset:offset + _BLOCK]


def recorded(previous: Mapping[str, tuple[str, ...]], pins: Sequence[Package]) -> list[str]:
    """What a lock says it newly expects: 'NAME VERSION ships FILE, ...' for each pin whose hooks the
    previous lock did not record (all of them, for a first lock)."""
    return [f"{p.name} {p.version} ships {', '.join(p.hooks)}" for p in pins
            if p.hooks and tuple(previous.get(p.name, ())) != p.hooks]
