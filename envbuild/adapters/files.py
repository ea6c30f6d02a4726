"""Reading input files safely, and atomic writes: a reader sees the old file or the new one, never
half of either."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

STALE_SECONDS = 24 * 3600  # a temporary file this old in a cache belongs to a writer that was killed


def read_text(path: Path, name: str, *, limit: int = 256 << 20) -> str:
    """A text input (lock, snapshot, requirements, spec): UTF-8, no NUL bytes. A binary file is
    refused as such, and its content never appears in the message."""
    from envbuild.errors import UserError

    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise UserError(f"cannot read {name}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise UserError(f"{name}: larger than {limit >> 20} MiB; not an input envbuild reads")
    if b"\x00" in data:
        raise UserError(f"{name}: not a text file (it holds NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(f"{name}: not a text file (not UTF-8)") from None


def atomic_write(path: Path, text: str, *, mode: int = 0o644) -> None:
    """A full disk or a read-only directory is a FileError naming the path; no partial file stays."""
    from envbuild.errors import FileError

    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _replace_via_temporary(path.parent, path.name, write, mode)
    except OSError as exc:
        raise FileError.of(exc, path) from None


def _replace_via_temporary(folder: Path, name: str, write: Callable[[Path], object], mode: int) -> Path:
    """``write`` fills a temporary file of this call's own in ``folder`` (dot-named: readers skip
    it), which is then renamed onto ``name``; on any failure it is removed."""
    import tempfile  # here, not above: reading a file is on verify's path, writing one is not

    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, mode)
        os.replace(tmp, folder / name)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return folder / name


def link_or_copy(source: Path, target: Path) -> None:
    """Into a build context: a hard link when on the same filesystem, else a copy."""
    try:
        os.link(source, target)
    except OSError:
        import shutil

        shutil.copyfile(source, target)


def entry_folder(cache: Path, hexdigest: str) -> Path:
    """Where a file with this sha256 lives in a content-addressed cache (wheels, conda archives)."""
    return Path(entry_dir(cache, hexdigest))


def entry_dir(cache: Path | str, hexdigest: str) -> str:
    """entry_folder() as a plain string, for lookups asked thousands of times (no Path built)."""
    return f"{cache}/sha256/{hexdigest[:2]}/{hexdigest}"


def store(folder: Path, name: str, write: Callable[[Path], object]) -> Path:
    """``folder/name`` written by ``write(temporary path)`` and renamed into place. Each writer has a
    temporary file of its own (mkstemp, dot-named: readers skip those), so writers of one cache entry
    that CI jobs share never collide, a reader never sees a half-written file, and a killed writer
    leaves only a dot file that nothing trusts (and that the next store here removes)."""
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale(folder)
    return _replace_via_temporary(folder, name, write, 0o644)


def recall(path: Path) -> Any:
    """What remember() kept at ``path``, parsed; None where nothing readable is kept (asked again)."""
    import json

    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def remember(path: Path, value: Any) -> None:
    """``value`` as JSON at ``path`` in a cache (written aside, renamed into place: a reader sees all of
    it or none); a read-only cache keeps nothing, and the fact is asked again next time."""
    import json

    try:
        store(path.parent, path.name, lambda tmp: tmp.write_text(json.dumps(value, sort_keys=True), encoding="utf-8"))
    except OSError:
        pass


def remove_stale(folder: Path, *, age: float = STALE_SECONDS) -> None:
    now = time.time()
    for entry in folder.glob(".*.tmp"):
        try:
            if now - entry.stat().st_mtime > age:
                entry.unlink()
        except OSError:
            pass  # another process removed or replaced it


def sha256_file(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    buffer = bytearray(1 << 18)  # one buffer, read into: a fresh bytes per block costs a third more
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as handle:
        while count := handle.readinto(buffer):
            digest.update(view[:count])
    return digest.hexdigest()


def tree_digest(path: Path) -> str:
    """A file's or a directory's contents (paths, executable bits, bytes) as one digest: what the
    tag digest covers of the spec's files."""
    from envbuild.core.digest import digest_of

    if path.is_file():
        return digest_of([".", bool(path.stat().st_mode & 0o111), sha256_file(path)])
    entries = sorted(p for p in path.rglob("*") if p.is_file())
    return digest_of([[p.relative_to(path).as_posix(), bool(p.stat().st_mode & 0o111), sha256_file(p)] for p in entries])


def content_ids(paths: list[Path]) -> list[tuple[str, str]]:
    """(file name, sha256) of each file. The wheel cache is content-addressed (an entry's folder is
    its sha256), so a cached file is named by its folder; anything else is hashed here."""
    import re

    return [(p.name, p.parent.name if re.fullmatch("[0-9a-f]{64}", p.parent.name) else sha256_file(p)) for p in paths]


@contextmanager
def stable_folder(root: Path, key: str) -> Iterator[Path]:
    """A new, empty folder at the same path for every use of ``key`` (under ``root``), one use at a
    time (an exclusive lock: a second build of the same target waits), removed afterwards. BuildKit
    sends a build context incrementally only to a path it has seen: measured on the CPU stack's 147 MB
    of wheels (linked from the cache, so their stats stay the same), 78 kB sent instead of 147 MB
    (1.2 s) at a new path."""
    import fcntl
    import hashlib
    import shutil

    root.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    with open(root / f"{name}.lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        folder = root / name
        shutil.rmtree(folder, ignore_errors=True)  # left by a build that was killed
        folder.mkdir()
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)
