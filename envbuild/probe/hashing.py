"""File hashes, on every core: the RECORD verdicts, the pool of workers, the tally of what was hashed. Standard library only; Python >= 3.8."""

import os
import stat

from .common import READ_FLAGS
from .dists import record_rows, record_text


_CHUNK = 1 << 18  # read into one reused buffer: measured faster than a fresh bytes per read, whatever the size


def digest_fd(fd, buffer):
    """(sha256 of what is left to read on ``fd``, as urlsafe base64; bytes read). ``buffer``: a
    bytearray of the caller's, reused from file to file (each worker or thread has its own)."""
    import base64
    import hashlib

    digest = hashlib.sha256()
    view = memoryview(buffer)
    read = 0
    while True:
        count = os.readv(fd, [buffer])
        if not count:
            break
        read += count
        digest.update(view[:count])
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode("ascii"), read


def _hash(path, buffer=None):
    """(sha256 as urlsafe base64, bytes read); the digest is "missing" or "unreadable" instead when
    so. A symbolic link is followed: what counts is what an import of that path would read. What
    is not a regular file (a FIFO, a device) is unreadable, never read: opened without blocking."""
    try:
        fd = os.open(path, READ_FLAGS)
    except FileNotFoundError:
        return "missing", 0
    except OSError:
        return "unreadable", 0
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return "unreadable", 0
        return digest_fd(fd, buffer if buffer is not None else bytearray(_CHUNK))
    except OSError:
        return "unreadable", 0
    finally:
        os.close(fd)


def _hash_batch(paths):
    buffer = bytearray(_CHUNK)
    found = []
    for count, path in enumerate(paths, 1):
        if count % 64 == 0 and orphaned():  # every 64 files: a getppid is a syscall
            os._exit(1)
        found.append(_hash(path, buffer))
    if orphaned():
        os._exit(1)
    return found


_OWNER = [0]  # the pid that started the workers (0: none yet)


def orphaned():
    """In a worker whose probe is gone (ended by its --deadline): nothing it sends is read, and
    sending to the dead pipe prints a traceback, so it leaves instead."""
    owner = _OWNER[0]
    return owner != 0 and os.getpid() != owner and os.getppid() != owner


class Tally:
    """Files and bytes hashed so far, told on ``stream`` at most every ``every`` seconds, and once
    more by ``tell()`` at the end, as 'envbuild-probe: hashed B of T bytes, F of N files': envbuild
    draws its progress from these lines (adapters/probe_progress.py). The totals grow as each set
    of files to hash becomes known."""

    def __init__(self, stream, every=0.5):
        import time

        self._clock = time.monotonic
        self.stream = stream
        self.every = every
        self.files = self.files_total = self.bytes = self.bytes_total = 0
        self._last = self._clock()

    def expect(self, files, size):
        self.files_total += files
        self.bytes_total += size

    def add(self, files, size):
        self.files += files
        self.bytes += size
        now = self._clock()
        if now - self._last >= self.every:
            self._last = now
            self.tell()

    def tell(self):
        try:
            self.stream.write("envbuild-probe: hashed %d of %d bytes, %d of %d files\n"
                              % tuple(min(n, 10 ** 18) for n in (self.bytes, max(self.bytes, self.bytes_total),
                                                                  self.files, max(self.files, self.files_total))))
            self.stream.flush()
        except (OSError, ValueError):
            pass  # nobody is listening: the answer on stdout is what matters


def pool(workers):
    """Processes where fork exists: hashing thousands of small files is Python work that threads
    serialise on the GIL (measured 0.72 s with processes vs 1.19 s with threads on 30k files, 2 cores).
    fork, not spawn: the probe may run from stdin, which a spawned child cannot import.
    multiprocessing.Pool, not concurrent.futures: ~12 us a task against ~80 us (measured, 2 cores),
    which counts with a task per directory."""
    import multiprocessing
    from multiprocessing.pool import ThreadPool

    _OWNER[0] = os.getpid()
    try:
        return multiprocessing.get_context("fork").Pool(workers)
    except (ValueError, OSError, ImportError, NotImplementedError):  # no fork, no semaphores (a bare /dev/shm)
        return ThreadPool(workers)


def workers_here():
    """The cores this process may run on (a container's CPU set, not the host's count), at most 32."""
    try:
        return max(1, min(32, len(os.sched_getaffinity(0))))
    except (AttributeError, OSError):
        return max(1, min(32, os.cpu_count() or 2))


def _imported(dist):
    """Whether this copy is the one an import finds (not shadowed, not a duplicate), with a RECORD."""
    return "shadowed_by" not in dist and "duplicate_of" not in dist and dist.get("has_record")


def active_records(dists, problems):
    """{name: RECORD rows} of each distribution that is imported."""
    return {d["name"]: record_rows(d, problems) for d in dists if _imported(d)}


def check_files(dists, rows, workers=None, known=None, tally=None):
    """RECORD verdicts per active distribution (``rows``: active_records()). A path that several
    distributions list (mlflow and mlflow-skinny) is modified only when it matches none of their
    hashes; each file is hashed once, on every core."""
    active = [d for d in dists if _imported(d) and d["name"] in rows]  # a shadowed copy has the same name
    known = known or {}
    expected, more = allowed(rows)
    todo = {path: size for entries in rows.values() for path, _digest, size in entries if path not in known}
    fresh = hash_all(sorted(todo), workers, _bytes(todo.values()), tally)
    actual = {**known, **fresh} if fresh else known
    for dist in active:
        dist["files"] = verdict(rows[dist["name"]], expected, actual, more)
        inside = dist["location"].rstrip("/") + "/"
        start = len(inside)
        dist["top_level"] = sorted({p[start:].partition("/")[0] for p, _d, _s in rows[dist["name"]]
                                    if p.startswith(inside)})


def check_presence(dists, problems):
    """Without --files: each imported distribution's files that its RECORD lists are there, nothing
    read, so that an environment whose packages' files were deleted with their metadata kept is not
    "ok". One listing per folder rather than a stat per file (a venv of 30,000 files has 3,000
    folders), and set arithmetic rather than a test per file. Compiled files are left out (an image
    may drop __pycache__; an installer may not compile): their sources are what counts."""
    listed = {}  # folder -> the full paths in it (None: not to be listed from here; --files reads it)
    sep = os.sep
    for dist in dists:
        if not _imported(dist):
            continue
        location = dist["location"]
        base = location + sep
        rels = [rel for rel in _record_paths(dist, problems) if rel and not rel.endswith(".pyc")]
        plain = [rel for rel in rels if rel[0] not in "./" and "/." not in rel and "//" not in rel]
        fulls = {base + rel for rel in plain}
        if len(plain) != len(rels):  # ../../bin/tool and the like: normalised (what join() would give)
            fulls.update(os.path.normpath(os.path.join(location, rel)) for rel in rels
                         if rel[0] in "./" or "/." in rel or "//" in rel)
        present = set()
        for folder in {full.rpartition(sep)[0] for full in fulls}:
            names = listed.get(folder, False)
            if names is False:
                try:
                    names = listed[folder] = {folder + sep + name for name in os.listdir(folder)}
                except FileNotFoundError:
                    names = listed[folder] = set()
                except OSError:
                    names = listed[folder] = None
            present |= names if names is not None else {f for f in fulls if f.rpartition(sep)[0] == folder}
        dist["files"] = {"checked": len(fulls), "modified": [], "missing": sorted(fulls - present), "unreadable": []}


def _record_paths(dist, problems):
    """The paths a RECORD lists (its first column); csv only where a path is quoted."""
    text = record_text(dist, problems)
    if text is None:
        return []
    if '"' not in text:
        return [line.split(",", 1)[0] for line in text.splitlines()]
    import csv

    try:
        return [row[0] for row in csv.reader(text.splitlines()) if row]
    except csv.Error as exc:
        problems.append({"path": os.path.join(dist["location"], dist["metadata_dir"], "RECORD"),
                         "problem": "cannot read RECORD: %s" % exc})
        return []


def allowed(rows):
    """The digests that rows ({owner: [(path, digest, size)]}) allow: (each path's first digest,
    {path: every digest} for the few paths that several owners list)."""
    expected, more = {}, {}
    for entries in rows.values():
        for path, digest, _size in entries:
            if path in expected:
                more.setdefault(path, {expected[path]}).add(digest)
            else:
                expected[path] = digest
    return expected, more


def total_size(rows):
    """Bytes to hash, from the sizes RECORD and paths.json give (an empty size counts 0)."""
    return _bytes(size for entries in rows.values() for _, _, size in entries)


def _bytes(sizes):
    """The sum of the sizes that are numbers (isdecimal, not isdigit: int() refuses a RECORD's '²')."""
    return sum(int(size) for size in sizes if str(size).isdecimal())


def hash_all(paths, workers=None, size=0, tally=None):
    """Each path's sha256 (urlsafe base64). Workers only when there is enough to share: 2,000 small
    files or 32 MB of hashing pay back starting them. ``size``: the bytes
    expected (0: not known); ``tally`` counts what is hashed as it is."""
    if tally is not None:
        tally.expect(len(paths), size)
    found = {}
    if len(paths) < 2000 and size < (32 << 20) or len(paths) < 16:
        buffer = bytearray(_CHUNK)
        for path in paths:
            found[path], read = _hash(path, buffer)
            if tally is not None:
                tally.add(1, read)
        return found
    batches = [paths[i:i + 512] for i in range(0, len(paths), 512)]  # one task per batch, not per file
    with pool(workers or workers_here()) as running:
        for batch, results in zip(batches, running.imap(_hash_batch, batches)):
            found.update((path, digest) for path, (digest, _read) in zip(batch, results))
            if tally is not None:
                tally.add(len(batch), sum(read for _digest, read in results))
    return found


def verdict(rows, expected, actual, more=None):
    """{"checked", "modified", "missing", "unreadable"} of ``rows`` [(path, digest, size)]:
    ``expected`` gives each path's digest, ``more`` the set of every digest allowed for the paths
    that several packages list."""
    verdict = {"checked": len(rows), "modified": [], "missing": [], "unreadable": []}
    more = more or {}
    for path, _digest, _size in rows:
        got = actual[path]
        if got == expected[path]:
            continue
        if got in ("missing", "unreadable"):
            verdict[got].append(path)
        elif path not in more or got not in more[path]:
            verdict["modified"].append(path)
    return verdict
