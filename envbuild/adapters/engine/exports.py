"""Files of a container or an image read from outside it: the engine's export stream, hashed here.

Whoever is root inside a container can make its Python answer anything: a filter added to the
standard library's `json` drops a planted file from the probe's answer; a watcher puts the clean
file back while the probe runs. The engine's own view is out of their reach: `docker export`
streams the container's filesystem (for an image: of a container created from it, never started)
to this side, where every file of the start-up surface (core/image/surface.py) is hashed as it passes.
It is read before the probe starts, so nothing inside can see it coming; nothing is extracted,
nothing is held but the hashes and the text of each .pth file.
"""

from __future__ import annotations

import base64
import hashlib
import posixpath
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO

from envbuild.adapters.process import run, stream
from envbuild.core.image.surface import tree_of
from envbuild.errors import TimedOut, ToolUnavailable

_TEXT_LIMIT = 1 << 20  # a .pth longer than this is hashed, not read (site.py reads it all; the hash shows it)
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Export:
    """``trees``: tree key → {relative path: urlsafe-b64 sha256 | "link:TARGET" | "special"};
    ``texts``: absolute path → text, for every .pth file on the surface."""

    trees: dict[str, dict[str, str]] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {"trees": self.trees, "texts": self.texts}


def read_container(name: str, timeout: float, also: Sequence[str] = ()) -> Export:
    """The start-up surface of a running (or stopped) container, as the engine has it now, and the
    files or folders ``also`` names (what a build put there besides: the spec's `files:`)."""
    return _read(["docker", "export", name], f"container {name}", timeout, also)


def read_image(ref: str, timeout: float, also: Sequence[str] = ()) -> Export:
    """The start-up surface of an image (and ``also``): a container is created from it (not
    started, no network, never pulled), exported and removed."""
    label = f"image {ref}"
    made = run(["docker", "create", "--pull", "never", "--network", "none", "--entrypoint", "/envbuild-never-runs",
                ref], timeout=timeout)
    if made.returncode != 0:
        last = (made.stderr.strip().splitlines() or ["docker create failed"])[-1]
        raise ToolUnavailable(f"{label}: cannot read its files through the engine: {last[-300:]}")
    container = made.stdout.strip().splitlines()[-1]
    try:
        return _read(["docker", "export", container], label, timeout, also)
    finally:
        run(["docker", "rm", "-f", container], timeout=60)


def _read(argv: list[str], label: str, timeout: float, also: Sequence[str]) -> Export:
    try:
        found, done = stream(argv, lambda source: _surface(source, also), timeout=timeout)
    except TimedOut:
        raise ToolUnavailable(f"{label}: the engine's export took longer than {timeout:g} s",
                              hint="raise --timeout") from None
    except tarfile.TarError as exc:
        raise ToolUnavailable(f"{label}: the engine's export stream is not a tar archive ({exc})") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
        raise ToolUnavailable(f"{label}: docker export failed: {last[-300:]}")
    return found


def _surface(source: IO[bytes], also: Sequence[str] = ()) -> Export:
    """Every member of the stream on the start-up surface or under ``also``: regular files hashed (a
    hard link takes its target's hash), links by target, the rest 'special'; directories are not
    entries. A path of ``also`` is kept under its parent folder's key."""
    export = Export()
    digests: dict[str, str] = {}  # member name → digest, for hard links to it
    buffer = bytearray(_CHUNK)
    view = memoryview(buffer)
    with tarfile.open(fileobj=source, mode="r|") as archive:
        for member in archive:
            if member.isdir():
                continue
            where = tree_of(member.name) or _also(member.name, also)
            if where is None:
                continue
            key, rel = where
            if member.isreg():
                handle = archive.extractfile(member)
                assert handle is not None
                digest, text = _hash(handle, view, buffer, rel.endswith(".pth") and member.size <= _TEXT_LIMIT)
                digests[member.name] = digest
                if text is not None:
                    export.texts[f"{key}/{rel}"] = text
            elif member.islnk():
                digest = digests.get(member.linkname, f"link:/{member.linkname.lstrip('/')}")
            elif member.issym():
                digest = f"link:{member.linkname}"
            else:
                digest = "special"
            export.trees.setdefault(key, {})[rel] = digest
    return export


def _also(name: str, also: Sequence[str]) -> tuple[str, str] | None:
    path = posixpath.normpath("/" + name.lstrip("/"))
    for root in also:
        root = posixpath.normpath(root)
        if path == root or path.startswith(root + "/"):
            parent = posixpath.dirname(root)
            return parent, path[len(parent):].lstrip("/")
    return None


def _hash(handle: IO[bytes], view: memoryview, buffer: bytearray, keep: bool) -> tuple[str, str | None]:
    """(urlsafe-b64 sha256 without padding, as RECORD and the probe write it; the text when ``keep``)."""
    digest = hashlib.sha256()
    kept: list[bytes] = []
    while True:
        count = handle.readinto(buffer)  # type: ignore[attr-defined]
        if not count:
            break
        digest.update(view[:count])
        if keep:
            kept.append(bytes(view[:count]))
    text = b"".join(kept).decode("utf-8", "replace") if keep else None
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode("ascii"), text
