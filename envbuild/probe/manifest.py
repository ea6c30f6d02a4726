"""Every file under a directory, listed and hashed on every core, and the stale bytecode found on the
way: what envbuild compares with the locked wheels' own RECORD (the site directories). An image's or
a container's files are read from outside instead (adapters/engine/exports.py); this is the place's own
word, for venvs and hosts. Standard library only; Python >= 3.8.

The walk is shared out by directory: the parent lists the top of each directory and every worker
walks and hashes whole subtrees, so listing, reading and hashing all run on every core while the
parent reads the RECORDs. Nothing is followed: a symbolic link is reported as 'link:' and its
target, anything else that is not a regular file as 'special', a directory that cannot be listed
as 'unreadable' (a place that hides a folder from the probe is told, not trusted). A file is opened
without following links and without blocking, and hashed only when it is still a regular file
then: one swapped for a link or a FIFO after the listing is reported as such, never read."""

import os
import stat
import sys

from .common import READ_FLAGS, read_bytes
from .hashing import _CHUNK, digest_fd, orphaned, pool, workers_here

_MANIFEST_LIMIT = 2000000  # files per directory listed: a hostile tree must not make the answer unbounded
_OPEN = READ_FLAGS | getattr(os, "O_NOFOLLOW", 0)

# Hashes already computed (a site directory inside a tree is hashed once): workers read them as
# they were when the pool forked; thread workers share them.
_KNOWN = {}  # type: dict[str, str]


class Walk:
    """The manifest of ``folders``, under way from construction; ``result()`` waits for it. The
    caller works meanwhile (the RECORDs are read while the workers hash)."""

    def __init__(self, folders, known=None, tally=None, pycs=False, workers=None):
        _KNOWN.clear()
        _KNOWN.update(known or {})
        self.folders = list(folders)
        self.tally = tally
        self.listed = {folder: {} for folder in self.folders}
        tasks = []
        for index, folder in enumerate(self.folders):
            tasks.append((index, folder, "", True, pycs))  # what lies at its top, folders aside
            tasks.extend((index, path, name + os.sep, False, pycs) for name, path in _folders(folder))
        workers = workers or workers_here()
        self._pool = pool(workers) if workers > 1 and len(tasks) > 2 else None
        self._results = self._pool.imap_unordered(_walk, tasks) if self._pool else map(_walk, tasks)

    def result(self, problems):
        """({folder: {relative path: digest, 'link:…', 'special' or 'unreadable'}}, {full path: digest}
        of every file hashed or known, the stale compiled files found)."""
        stale, full = [], dict(_KNOWN)
        try:
            for index, entries, files, read, found in self._results:
                folder = self.folders[index]
                listed = self.listed[folder]
                if len(listed) + len(entries) > _MANIFEST_LIMIT:
                    if len(listed) <= _MANIFEST_LIMIT:
                        problems.append({"path": folder, "problem": "more than %d files: not all listed"
                                         % _MANIFEST_LIMIT})
                        listed.update(list(entries.items())[:_MANIFEST_LIMIT + 1 - len(listed)])
                    continue
                listed.update(entries)
                stale.extend(found)
                if self.tally is not None:
                    self.tally.add(files, read)
        finally:
            if self._pool is not None:
                self._pool.terminate()
        for folder, entries in self.listed.items():
            base = folder if folder.endswith(os.sep) else folder + os.sep
            full.update((base + rel, digest) for rel, digest in entries.items()
                        if digest != "special" and not digest.startswith("link:"))
        return self.listed, full, sorted(stale)


def file_manifest(folders, problems, known=None, tally=None, pycs=False, workers=None):
    """Walk(...).result(problems) at once."""
    return Walk(folders, known, tally, pycs, workers).result(problems)


def _folders(folder):
    """The folders at the top of ``folder`` (not links to one), as (name, path): a task each."""
    found = []
    for entry in _listing(folder) or ():
        try:
            if entry.is_dir(follow_symlinks=False):
                found.append((entry.name, entry.path))
        except OSError:
            continue  # the top task lists it again, and says so
    return sorted(found)


def _listing(folder):
    """The entries of ``folder``; None when it cannot be listed."""
    try:
        with os.scandir(folder) as found:
            return list(found)
    except OSError:
        return None


def _walk(task):
    """One worker's share: a whole subtree, or (``shallow``) what lies at the top of a folder but
    its folders, which are tasks of their own.
    → (folder's index, {relative path: digest…}, files hashed, bytes read, stale pycs)."""
    index, top, prefix, shallow, pycs = task
    buffer = bytearray(_CHUNK)
    entries, counts, caches = {}, [0, 0], []
    stack = [(top, prefix)]
    while stack and len(entries) <= _MANIFEST_LIMIT:
        if orphaned():
            os._exit(1)  # at every folder: a subtree can take long
        folder, inside = stack.pop()
        listing = _listing(folder)
        if listing is None:
            if inside:  # (a directory given that cannot be listed is simply empty)
                entries[inside[:-len(os.sep)]] = "unreadable"
            continue
        if pycs and os.path.basename(folder) == "__pycache__":
            caches.append((folder, [entry.name for entry in listing if not entry.is_dir()]))
        for entry in listing:
            rel = inside + entry.name
            try:
                if entry.is_symlink():
                    entries[rel] = "link:" + os.readlink(entry.path)
                elif entry.is_dir(follow_symlinks=False):
                    if not shallow:
                        stack.append((entry.path, rel + os.sep))
                elif entry.is_file(follow_symlinks=False):
                    entries[rel] = _file(entry.path, buffer, counts)
                else:
                    entries[rel] = "special"
            except OSError:
                entries[rel] = "unreadable"
    if orphaned():
        os._exit(1)
    return index, entries, counts[0], counts[1], [pyc for folder, names in caches for pyc in _stale(folder, names)]


def _file(path, buffer, counts):
    """The digest of the regular file at ``path`` (never through a link, never blocking)."""
    if path in _KNOWN:
        return _KNOWN[path]
    try:
        fd = os.open(path, _OPEN)
    except FileNotFoundError:
        return "missing"
    except OSError:
        return _link_or_unreadable(path)  # swapped for a link since the listing: O_NOFOLLOW refused it
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return "special"
        digest, read = digest_fd(fd, buffer)
    except OSError:
        return "unreadable"
    finally:
        os.close(fd)
    counts[0] += 1
    counts[1] += read
    return digest


def _link_or_unreadable(path):
    try:
        return "link:" + os.readlink(path)
    except OSError:
        return "unreadable"


def _stale(folder, names):
    """The compiled files in ``folder`` (a __pycache__) for this interpreter whose header does not
    match their source: a hash-based pyc with another source hash, a timestamp pyc with another
    mtime or size, or a pyc for another magic number. (A pyc with a matching header but other code
    is found only against a build-time manifest: see envbuild's image checks.)"""
    import importlib.util

    tag = "." + sys.implementation.cache_tag + "."
    stale = []
    for name in names:
        at = name.find(tag)
        if at <= 0 or not name.endswith(".pyc"):
            continue  # another interpreter's pyc: this one never reads it
        source = os.path.join(os.path.dirname(folder), name[:at] + ".py")
        if not os.path.isfile(source):
            continue  # never imported without its source
        pyc = os.path.join(folder, name)
        if not _pyc_matches(pyc, source, importlib.util):
            stale.append(pyc)
    return stale


def _pyc_matches(pyc, source, util):
    """(Read without blocking: a FIFO named like a pyc reads as no header, and so is stale.)"""
    try:
        header = read_bytes(pyc, 16)
        if len(header) < 16 or header[:4] != util.MAGIC_NUMBER:
            return False
        flags = int.from_bytes(header[4:8], "little")
        if flags & 1:  # hash-based (PEP 552): the source's SipHash
            return header[8:16] == util.source_hash(read_bytes(source))
        st = os.stat(source)
        return (int.from_bytes(header[8:12], "little") == int(st.st_mtime) & 0xFFFFFFFF
                and int.from_bytes(header[12:16], "little") == st.st_size & 0xFFFFFFFF)
    except OSError:
        return False
