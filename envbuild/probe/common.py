"""What every part of the probe reads with: names, bounded file reads, metadata headers. Standard library only; Python >= 3.8."""

import os
import re


PROBE_VERSION = 2


_NAME_RE = re.compile(r"[-_.]+")


def canonical(name):
    return _NAME_RE.sub("-", name).lower()


def read_text(path, limit=None):
    with open(path, "rb") as handle:
        data = handle.read(limit) if limit else handle.read()
    return data.decode("utf-8", "replace")


def metadata_headers(text):
    """Name and Version from METADATA / PKG-INFO: only the header block is read."""
    found = {}
    for line in text.splitlines():
        if not line.strip():
            break
        key, sep, value = line.partition(":")
        if sep and key in ("Name", "Version") and key not in found:
            found[key] = value.strip()
    return found


def listdir(path):
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []
