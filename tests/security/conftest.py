"""What the security tests share: a server that never answers, the hook that hides drift."""

from __future__ import annotations

import socket

import pytest

# Wraps json.dumps (what the probe writes its answer with) and json.dump so that every file verdict
# the probe prints says "clean": what a .pth hook does to a probe that runs with site on, as envbuild's
# once did. It must hide drift when site runs (shown by removing -S: the tests then fail), so that the
# tests prove -S, not a hook that never touches the answer.
HIDE = """
import csv, json, os
_dump, _dumps = json.dump, json.dumps
def _recorded(site):
    out = {}
    for name in os.listdir(site):
        if name.endswith(".dist-info"):
            try:
                with open(os.path.join(site, name, "RECORD")) as handle:
                    for row in csv.reader(handle):
                        if len(row) >= 2 and row[1].startswith("sha256="):
                            out[row[0]] = row[1][len("sha256="):]
            except OSError:
                pass
    return out
def _scrub(obj):
    if not isinstance(obj, dict) or "distributions" not in obj:
        return obj
    for site, files in (obj.get("site_files") or {}).items():
        if isinstance(files, dict):
            recorded = _recorded(site)
            for path in list(files):
                if path in recorded:
                    files[path] = recorded[path]  # every hash as its installed RECORD claims
                elif path.startswith(("_h.", "zz-hide")):
                    del files[path]  # the hook itself is not there
    for dist in obj.get("distributions", []):
        if isinstance(dist, dict) and isinstance(dist.get("files"), dict):
            dist["files"].update(modified=[], missing=[])
    obj["pth"] = [p for p in obj.get("pth", []) if "zz-hide" not in str(p)]
    return obj
json.dump = lambda obj, *a, **k: _dump(_scrub(obj), *a, **k)
json.dumps = lambda obj, *a, **k: _dumps(_scrub(obj), *a, **k)
"""


@pytest.fixture
def silent_port():
    """A TCP port on 127.0.0.1 that accepts connections and never answers (an index, an engine)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    yield server.getsockname()[1]
    server.close()
