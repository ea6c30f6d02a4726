"""Wheels straight from the index: the locked file found on the index's JSON page (PEP 691), fetched
four at a time with progress in bytes, hash-checked before it enters the cache.

The lock pins hashes, not URLs; the JSON page of each project gives every file's URL, hashes and
size (PEP 700). Where a page has no JSON (an index that serves only HTML, a find-links page, a
file:// mirror) or no file of the pin's hashes fits the target, the pin is left to ``pip download``
(wheelhouse.py), which reads every kind of index. Among a pin's files that fit, the one pip would
pick: the target's most preferred wheel tag (packaging's order).

Progress: on a terminal, a bar redrawn in place (the CLI gives its progress callback a ``meter``);
otherwise one line every ENVBUILD_PROGRESS_INTERVAL seconds (default 5) and a closing line with
bytes, time and rate.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from packaging.tags import Tag
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from envbuild.core.lock.export import IndexFile
from envbuild.core.lock import Package
from envbuild.core.progress import Progress, human_size, status
from envbuild.core.progress import interval as progress_interval
from envbuild.errors import FileError, ToolUnavailable

_WORKERS = 4
_BLOCK = 1 << 20


@dataclass(frozen=True)
class Remote:
    pin: Package
    url: str  # absolute; credentials only as the index URL had them (never shown)
    filename: str
    sha256: str
    size: int | None


def find_remote(pins: Sequence[Package], index_urls: Sequence[str], ranked: Sequence[Tag]) -> dict[str, Remote]:
    """name → the pin's file on the first index whose JSON page lists a fitting file of its hashes."""
    from envbuild.adapters.index.pages import project_files

    rank = {tag: i for i, tag in enumerate(ranked)}

    def lookup(pin: Package) -> Remote | None:
        hexes = pin.sha256s
        for index in index_urls:
            best: tuple[int, Remote] | None = None
            for entry in project_files(index, pin.name):
                order = _best_rank(entry.filename, rank)
                if entry.sha256 in hexes and order is not None and (best is None or order < best[0]):
                    best = (order, Remote(pin, entry.url, entry.filename, str(entry.sha256), entry.size))
            if best:
                return best[1]
        return None

    with ThreadPoolExecutor(max_workers=16) as pool:
        found = dict(zip((p.name for p in pins), pool.map(lookup, pins)))
    return {name: remote for name, remote in found.items() if remote is not None}


def _best_rank(filename: str, rank: Mapping[Tag, int]) -> int | None:
    if not filename.endswith(".whl"):
        return None
    try:
        orders = [rank[tag] for tag in parse_wheel_filename(filename)[3] if tag in rank]
    except InvalidWheelFilename:
        return None
    return min(orders) if orders else None


def download(remotes: Sequence[Remote], fetch_one: Callable[[Remote, Callable[[int], None]], Path], progress: Progress,
             environ: Mapping[str, str]) -> dict[str, Path]:
    """``fetch_one(remote, add)`` stores one file (calling ``add(n)`` per n bytes received) and
    returns its path; name → path."""
    total = sum(r.size or 0 for r in remotes)
    known = all(r.size for r in remotes)
    counter = _Counter()
    meter = getattr(progress, "meter", None)
    interval = progress_interval(environ)
    started = last = time.monotonic()
    paths: dict[str, Path] = {}
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        pending = {pool.submit(fetch_one, r, counter.add): r for r in remotes}
        while pending:
            done, _ = wait(pending, timeout=0.2 if meter else min(interval, 1.0), return_when=FIRST_COMPLETED)
            for future in done:
                remote = pending.pop(future)
                paths[remote.pin.name] = future.result()  # a failure stops the build: it raises here
            now = time.monotonic()
            text = status(counter.value, total if known else 0, len(paths), len(remotes), now - started)
            if meter:
                meter(counter.value, total if known else 0, text)
            elif now - last >= interval and pending:
                progress(f"  {text}")
                last = now
    seconds = time.monotonic() - started
    if meter:
        meter(counter.value, counter.value, "", done_flag=True)
    progress(f"downloaded {len(remotes)} wheels, {human_size(counter.value)} in {seconds:.1f} s "
        f"({human_size(int(counter.value / max(seconds, 1e-3)))}/s)")
    return paths


class _Counter:
    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def add(self, n: int) -> None:
        with self._lock:
            self.value += n


def stream(url: str, dest: Path, add: Callable[[int], None], timeout: float = 120) -> None:
    """One http(s) file into ``dest``, ``add`` told of every block. Credentials in the URL become a
    basic-auth header (index.request_for), never part of a message."""
    import urllib.request

    from envbuild.adapters.index.pages import request_for

    request = request_for(url, "*/*")
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        try:  # what fails here is this machine's disk (full, read-only), not the index: exit 74, naming it
            out = open(dest, "wb", buffering=0)  # unbuffered: a full disk fails the write, not a flush at close
        except OSError as exc:
            raise FileError.of(exc, dest) from None
        with out:
            while block := response.read(_BLOCK):
                left = memoryview(block)
                try:
                    while left:  # a short write is followed by the one that says why (ENOSPC)
                        left = left[out.write(left):]
                except OSError as exc:
                    raise FileError.of(exc, dest) from None
                add(len(block))


def version_hashes(name: str, version: str, index_urls: Sequence[str]) -> list[str] | None:
    """The sha256 of every wheel of ``name`` ``version`` on the first index whose JSON page lists the
    project ([] : it has the project, not that version); None: no index answered with a page."""
    from packaging.utils import canonicalize_name
    from packaging.version import InvalidVersion, Version

    from envbuild.adapters.index.pages import project_files

    try:
        wanted = Version(version)
    except InvalidVersion:
        return None
    for index in index_urls:
        entries = project_files(index, canonicalize_name(name))
        if entries:
            return [e.sha256 for e in entries if e.filename.endswith(".whl") and e.version == wanted and e.sha256]
    return None

def download_url(url: str, dest: Path, shown: str) -> None:
    """One URL (http(s) or file:) into ``dest``; ``shown``: the URL for messages (as the lock has it:
    ${VAR}s, not their values)."""
    import shutil
    from urllib.parse import unquote, urlsplit

    from envbuild.core.redact import redact_text, redact_url

    parts = urlsplit(url)
    try:
        if parts.scheme == "file":
            shutil.copyfile(unquote(parts.path), dest)
            return
        stream(url, dest, lambda _received: None)
    except (OSError, ValueError) as exc:
        dest.unlink(missing_ok=True)
        reason = redact_text(str(getattr(exc, "reason", None) or exc)).replace(url, shown)
        raise ToolUnavailable(f"cannot fetch {redact_url(shown)}: {reason}") from None


def index_files(pins: Sequence[Package], indexes: Sequence[tuple[str, str]]) -> dict[str, list[IndexFile]]:
    """name → every file of the pin's hashes the index's JSON page lists (the first index that has
    any). ``indexes``: (URL with its ${VAR}s expanded, as written): a file URL under the expanded
    index is given back under the written one, so no expanded secret leaves in an export."""
    from envbuild.adapters.index.pages import project_files

    def lookup(pin: Package) -> list[IndexFile]:
        hexes = pin.sha256s
        for expanded, written in indexes:
            found = []
            for entry in project_files(expanded, pin.name):
                if entry.sha256 is None or entry.sha256 not in hexes:
                    continue
                url = entry.url
                if url.startswith(expanded.rstrip("/") + "/"):
                    url = written.rstrip("/") + url[len(expanded.rstrip("/")):]
                found.append(IndexFile(filename=entry.filename, url=url, sha256=entry.sha256, size=entry.size,
                                       upload_time=entry.upload_time))
            if found:
                return found
        return []

    with ThreadPoolExecutor(max_workers=16) as pool:
        return dict(zip((p.name for p in pins), pool.map(lookup, pins)))
