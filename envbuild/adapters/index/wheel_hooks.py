"""The start-up code each locked wheel ships, read at lock time: a `.pth` file with an executable line
or a `sitecustomize`/`usercustomize` module at the top of what it installs runs at every start of
the interpreter, before any workload. That is where 2026's compromised releases put their payload
(litellm 1.82.7: in the wheel's own RECORD), so the lock records each pin's hooks and `verify`
expects exactly those (core/check/verify.py).

A wheel the cache holds is read from disk; any other through the index: its central directory and
its few `.pth` members with HTTP range requests (a wheel of a gigabyte costs a few kilobytes), the
file chosen as the layer plan's is (the largest the target can install, pinned by the lock's hash),
at the URL uv found it (adapters/index/pin_files.py).
"""

from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Mapping, Sequence
from typing import Any
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from envbuild.core.lock import Package
from envbuild.core.platforms import supported_tags
from envbuild.core.lock.pylock_files import PinFiles
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


def locked_hooks(pins: Sequence[Package], files: Mapping[str, PinFiles], *, python: str, platform: str,
                 wheel_cache: Path) -> dict[str, tuple[str, ...] | None]:
    """name → the hooks its locked wheel ships (None: its wheel could be read neither from the
    cache nor where uv found it - an sdist-only pin built elsewhere). ``files``: each pin's
    installable files (adapters/index/pin_files.py). What a remote wheel ships is remembered under its
    sha256 (``<cache>/hooks``: a wheel's content never changes), so a re-lock reads no wheel twice.
    A forged memory can only add a hook (said as a warning at lock, expected by verify only where
    the wheel's own RECORD lists it) or hide one (then verify finds it unexpected)."""
    tags = supported_tags(python, platform)
    memo = wheel_cache.parent / "hooks"

    def one(pin: Package) -> tuple[str, ...] | None:
        local = _cached(pin, tags, wheel_cache)
        try:
            if local is not None:
                with zipfile.ZipFile(local) as archive:
                    return hooks_of(archive)
            remote = _remote_file(pin, tags, files.get(pin.name))
            if remote is None:
                return None
            url, size, sha256 = remote
            known = _remembered(memo, sha256)
            if known is not None:
                return known
            if not url.startswith(("http://", "https://")):  # a find-links directory's file
                with zipfile.ZipFile(url.removeprefix("file://")) as archive:
                    return hooks_of(archive)
            with zipfile.ZipFile(_RangeFile(url, size)) as archive:
                return _remember(memo, sha256, hooks_of(archive))
        except (OSError, ValueError, zipfile.BadZipFile, EOFError):
            return None

    with ThreadPoolExecutor(max_workers=12) as pool:  # more: TLS handshakes, not reads, take the time
        return dict(zip((p.name for p in pins), pool.map(one, pins)))


def _cached(pin: Package, tags: set, wheel_cache: Path) -> Path | None:
    from envbuild.adapters.files import entry_folder
    from envbuild.adapters.index.sizes import installable

    for entry in pin.hashes:
        folder = entry_folder(wheel_cache, entry.split(":", 1)[1])
        for path in sorted(folder.glob("*.whl")) if folder.is_dir() else ():
            if installable(path.name, tags):
                return path
    return None


def _remembered(memo: Path, sha256: str) -> tuple[str, ...] | None:
    from envbuild.adapters.files import recall

    names = recall(memo / sha256[:2] / sha256)
    return tuple(str(n) for n in names) if isinstance(names, list) else None


def _remember(memo: Path, sha256: str, hooks: tuple[str, ...]) -> tuple[str, ...]:
    from envbuild.adapters.files import remember

    remember(memo / sha256[:2] / sha256, list(hooks))
    return hooks


def _remote_file(pin: Package, tags: set, found: PinFiles | None) -> tuple[str, int, str] | None:
    """(URL, size, sha256) of the largest locked wheel the target can install."""
    from envbuild.adapters.index.sizes import installable

    hexes = pin.sha256s
    wheels = [f for f in (found.wheels if found else ()) if f.sha256 in hexes and f.size is not None
              and installable(f.filename, tags)]
    if not wheels:
        return None
    best = max(wheels, key=lambda f: f.size or 0)
    return best.url, best.size or 0, best.sha256


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

    def readinto(self, buffer: Any) -> int:  # a writable buffer
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
        status, data = _get_range(self.url, start, end)
        if status == 200:  # no ranges here: the whole file, once
            if self.size > _WHOLE_LIMIT:
                raise OSError(f"{self.url}: the server serves no byte ranges")
            self.whole = data
            return
        if len(data) != end - start:
            raise OSError(f"{self.url}: a range answered with {len(data)} bytes, not {end - start}")
        for offset in range(0, len(data), _BLOCK):
            self.blocks[(start + offset) // _BLOCK] = data[offset:offset + _BLOCK]


_LOCAL = threading.local()  # each reading thread's open connections, by (scheme, host, port)
_TLS: list = []  # one TLS context for every connection: loading the CA bundle costs ~40 ms of CPU each time


def _tls() -> Any:
    import ssl

    if not _TLS:
        _TLS.append(ssl.create_default_context())
    return _TLS[0]


def _get_range(url: str, start: int, end: int) -> tuple[int, bytes]:
    """(status, body) of GET ``url`` with Range: bytes=start-(end-1). A thread keeps its connection to
    a host open from one request to the next (a TLS handshake costs as much as the read itself);
    through a proxy, or on any surprise, a plain urllib request."""
    import http.client
    import urllib.request
    from urllib.parse import urlsplit

    from envbuild.adapters.index.pages import request_for

    request = request_for(url, "*/*")
    request.add_header("Range", f"bytes={start}-{end - 1}")
    parts = urlsplit(request.full_url)
    key = (parts.scheme, parts.hostname or "", parts.port)
    if not urllib.request.getproxies() or urllib.request.proxy_bypass(parts.hostname or ""):
        pool = getattr(_LOCAL, "connections", None)
        if pool is None:
            pool = _LOCAL.connections = {}
        for attempt in range(2):  # a kept connection the server has closed meanwhile: once more, anew
            connection = pool.get(key)
            if connection is None:
                connection = pool[key] = (
                    http.client.HTTPSConnection(parts.hostname or "", parts.port, timeout=_TIMEOUT, context=_tls())
                    if parts.scheme == "https" else http.client.HTTPConnection(parts.hostname or "", parts.port,
                                                                                 timeout=_TIMEOUT))
            try:
                path = parts.path + (f"?{parts.query}" if parts.query else "")
                connection.request("GET", path, headers=dict(request.header_items()))
                response = connection.getresponse()
                body = response.read(_WHOLE_LIMIT + 1)
            except (http.client.HTTPException, OSError):
                connection.close()
                pool.pop(key, None)
                if attempt:
                    raise OSError(f"{url}: the range request failed") from None
                continue
            if response.status in (200, 206):
                return response.status, body
            if response.status not in (301, 302, 303, 307, 308):
                raise OSError(f"{url}: HTTP {response.status}")
            break  # a redirect: urllib follows it
    with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:  # noqa: S310 - http(s) only
        return response.status, response.read(_WHOLE_LIMIT + 1 if response.status == 200 else end - start + 1)


def recorded(previous: Mapping[str, tuple[str, ...]], pins: Sequence[Package]) -> list[str]:
    """What a lock says it newly expects: 'NAME VERSION ships FILE, ...' for each pin whose hooks the
    previous lock did not record (all of them, for a first lock)."""
    return [f"{p.name} {p.version} ships {', '.join(p.hooks)}" for p in pins
            if p.hooks and tuple(previous.get(p.name, ())) != p.hooks]
