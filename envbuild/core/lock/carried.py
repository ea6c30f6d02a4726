"""The lock an envbuild image carries under /etc/envbuild, as the probe read it, and whether the
image's own label vouches for it. Pure: one home for what verify, diff, sbom and record read."""

from __future__ import annotations

import hashlib
from envbuild.core.layout import EMBEDDED_DIR, EMBEDDED_LOCKS, Labels
from envbuild.core.lock import Lock, read_lock
from envbuild.core.lock.conda_format import FORMAT as CONDA_FORMAT
from envbuild.core.lock.pip_format import FORMAT as PIP_FORMAT
from envbuild.core.snapshot import Snapshot


def carried_lock(snapshot: Snapshot) -> tuple[str, str] | None:
    """(format, text) of the lock the place carries under /etc/envbuild (as the probe read it), or None."""
    carried = snapshot.envbuild
    if carried is None:
        return None
    found = [(format, text) for format, text in ((PIP_FORMAT, carried.lock), (CONDA_FORMAT, carried.conda_lock)) if text]
    return found[-1] if found else None


def carried_path(format: str) -> str:
    """'/etc/envbuild/lock.txt': where a lock of this format lies in an image."""
    return f"{EMBEDDED_DIR}/{EMBEDDED_LOCKS[format]}"


def label_vouches(snapshot: Snapshot, embedded_lock: str) -> bool:
    """The image's own label gives this lock's sha256: it is the lock the image was built with."""
    want = snapshot.engine.labels.get(Labels.LOCK_SHA256) if snapshot.engine else None
    return bool(want) and hashlib.sha256(embedded_lock.encode("utf-8")).hexdigest() == want


def read_carried(snapshot: Snapshot, label: str) -> Lock | None:
    """The lock the place carries, read as one envbuild wrote: the image's label vouches for it (a lock
    of format 1 too), else it must stand on its own body digest (a LockError when it does not). None
    when it carries none. ``label`` names the place in errors ('img:/etc/envbuild/lock.txt')."""
    found = carried_lock(snapshot)
    if found is None:
        return None
    format, text = found
    return read_lock(text, f"{label}:{carried_path(format)}", format=format,
                     check_body=not label_vouches(snapshot, text))
