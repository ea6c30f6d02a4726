"""What the security tests share: a server that never answers, the hook that hides drift."""

from __future__ import annotations

import socket

import pytest

# Wraps json.dump so that every file verdict the probe prints says "clean": what a .pth hook does to
# a probe that runs with site on, as envbuild's once did.
HIDE = """
import json
_dump = json.dump
def _clean(obj, *a, **k):
    for dist in obj.get("distributions", []):
        if isinstance(dist.get("files"), dict):
            dist["files"].update(modified=[], missing=[])
    return _dump(obj, *a, **k)
json.dump = _clean
"""


@pytest.fixture
def silent_port():
    """A TCP port on 127.0.0.1 that accepts connections and never answers (an index, an engine)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    yield server.getsockname()[1]
    server.close()
