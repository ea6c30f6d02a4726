"""What every part of the probe reads with: names, bounded file reads, metadata headers. Standard library only; Python >= 3.8."""

import errno
import os
import re


PROBE_VERSION = 2


_NAME_RE = re.compile(r"[-_.]+")


def canonical(name):
    return _NAME_RE.sub("-", name).lower()


# Whatever a file claims to hold, never more than this is read (a link to /dev/zero, a RECORD of a
# gigabyte): beyond it the read fails, as an unreadable file does, rather than answer from a part.
READ_LIMIT = 64 << 20
# How the probe opens every file of the environment. O_NONBLOCK: a FIFO where a file should be is
# read as empty (no writer) or fails (EAGAIN) - never waited on. Regular files ignore it.
READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def read_bytes(path, limit=None):
    """At most ``limit`` bytes of the file, in one read (what a regular file has of them); None:
    all of it, up to READ_LIMIT (beyond: OSError EFBIG)."""
    fd = os.open(path, READ_FLAGS)
    try:
        if limit:
            return os.read(fd, limit)
        chunks = []
        left = READ_LIMIT + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(fd)
    if left <= 0:
        raise OSError(errno.EFBIG, "larger than %d MiB" % (READ_LIMIT >> 20), path)
    return b"".join(chunks)


def read_text(path, limit=None):
    return read_bytes(path, limit).decode("utf-8", "replace")


def metadata_headers(text):
    """Name and Version from METADATA / PKG-INFO: only the header block is read, and of it only
    the lines up to the first Name and Version (the first of each wins)."""
    head = text[:2048]  # where they are, in every METADATA seen: split no more than that first
    lines = head.splitlines()
    if len(head) < len(text):  # its last line may go on beyond it
        lines.pop()
    found, done = _headers(lines)
    return found if done else _headers(text.splitlines())[0]


def _headers(lines):
    """(Name and Version found, whether the search ended: both found, or the block's end)."""
    found = {}
    for line in lines:
        if not line.strip():
            return found, True
        key, sep, value = line.partition(":")
        if sep and key in ("Name", "Version") and key not in found:
            found[key] = value.strip()
            if len(found) == 2:
                return found, True
    return found, False


def listdir(path):
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []


def scan(path):
    """(name, is a directory - a link to one too) of each entry, in name order; none if unlistable.
    The kind comes with the listing (d_type), so only links cost a stat."""
    try:
        with os.scandir(path) as found:
            entries = list(found)
    except OSError:
        return []
    out = []
    for entry in entries:
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        out.append((entry.name, is_dir))
    out.sort()
    return out


_HEX_DIGEST = re.compile(r"^[0-9a-fA-F]{64}$")


def record_digest(value):
    # type: (str) -> str
    """A RECORD row's "sha256=…" value as urlsafe base64 without padding (what the probe hashes to).
    PEP 376 says that form, but wheels in the wild give hex (ffmpy 0.6.1) or padded base64, and pip
    and uv accept them: so must a verifier that must not cry wolf."""
    digest = value[7:]
    if len(digest) == 43:  # the usual form: nothing to do (this runs once per RECORD row)
        return digest
    if len(digest) == 64 and _HEX_DIGEST.match(digest):
        import base64

        return base64.urlsafe_b64encode(bytes.fromhex(digest)).rstrip(b"=").decode("ascii")
    return digest.rstrip("=")
