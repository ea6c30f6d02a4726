"""What the container engine knows, against what the environment shows. Pure.

Whoever is root inside a container can edit its files, its RECORDs, its conda-meta and the lock
envbuild embedded in it, all together. Two records lie outside the container's reach: the image's
labels (written at build time: the embedded lock's sha256) and the engine's list of paths changed
since the container was created (`docker diff`). A change under the environment's prefix or
/etc/envbuild is drift whatever the files inside now claim.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from envbuild.core.findings import Finding
from envbuild.core.layout import CONDA_PREFIX, LABEL_PREFIX, PROBE_LOCK_KEYS, VENV

_WORDS = {"C": "changed", "A": "added", "D": "deleted"}
_SHOWN = 3


def carried_lock(snapshot: Mapping[str, Any]) -> tuple[str, str] | None:
    """(format, text) of the lock the place carries under /etc/envbuild (as the probe read it), or None."""
    carried = snapshot.get("envbuild") or {}
    found = [(format, carried[key]) for format, key in PROBE_LOCK_KEYS.items() if carried.get(key)]
    return found[-1] if found else None


def label_vouches(snapshot: Mapping[str, Any], embedded_lock: str) -> bool:
    """The image's own label gives this lock's sha256: it is the lock the image was built with."""
    labels = (snapshot.get("engine") or {}).get("labels") or {}
    want = labels.get(f"{LABEL_PREFIX}.lock.sha256")
    return bool(want) and hashlib.sha256(embedded_lock.encode("utf-8")).hexdigest() == want


def engine_findings(snapshot: Mapping[str, Any], embedded_lock: str | None, *,
                    changes: bool = True) -> list[Finding]:
    """Findings from the engine's own record (``snapshot["engine"]``, written by envbuild's side).
    ``embedded_lock``: the text of the lock read from inside the place, when verify used it.
    ``changes`` False: leave `docker diff` out (a build manifest compares the same trees file by file)."""
    record = snapshot.get("engine")
    if not record:
        return []
    labels: Mapping[str, str] = record.get("labels") or {}
    findings = []
    want = labels.get(f"{LABEL_PREFIX}.lock.sha256")
    if embedded_lock is not None and want and not label_vouches(snapshot, embedded_lock):
        findings.append(Finding(kind="modified", name="/etc/envbuild lock", expected=f"sha256 {want[:12]}… (image label)",
                                actual="another lock", detail="the lock inside is not the one the image was built "
                                "with: its verdicts cannot be trusted"))
    prefix = CONDA_PREFIX if labels.get(f"{LABEL_PREFIX}.conda-prefix") else VENV
    if changes:
        findings.extend(changed_trees(record.get("changes") or [], (prefix, "/etc/envbuild")))
    return findings


def changed_trees(changes: Sequence[Sequence[str]], roots: Sequence[str]) -> list[Finding]:
    """One `modified` finding per root with changes under it. A directory that docker reports as
    changed only because something below it changed is not counted."""
    paths = [(kind, path) for kind, path in changes]
    parents = {path.rsplit("/", 1)[0] for _, path in paths}
    real = [(kind, path) for kind, path in paths if not (kind == "C" and path in parents)]
    findings = []
    for root in roots:
        under = [(path, kind) for kind, path in real if path == root or path.startswith(root.rstrip("/") + "/")]
        if under:
            findings.append(_tree_finding(root, under, "as built (docker diff)"))
    return findings


def _tree_finding(root: str, status: list[tuple[str, str]], expected: str) -> Finding:
    """(path, C|A|D) pairs under one tree → one `modified` finding, counts first, a few paths shown."""
    status = sorted(status)
    counts = [f"{sum(1 for _, k in status if k == key)} {word}" for key, word in _WORDS.items()
              if any(k == key for _, k in status)]
    shown = ", ".join(f"{_WORDS[k][0].upper()} {p}" for p, k in status[:_SHOWN])
    more = f" and {len(status) - _SHOWN} more" if len(status) > _SHOWN else ""
    return Finding(kind="modified", name=root, expected=expected, actual=", ".join(counts), detail=shown + more,
                   paths=tuple(p for p, _ in status))


def manifest_findings(built: Mapping[str, Mapping[str, str]], seen: Mapping[str, Mapping[str, str]]) -> list[Finding]:
    """Every file of the image's trees (the prefix, /etc/envbuild) against the manifest recorded when
    envbuild built it: one `modified` finding per tree that differs."""
    findings = []
    for root in sorted(set(built) | set(seen)):
        want, have = built.get(root) or {}, seen.get(root) or {}
        base = root.rstrip("/") + "/"
        status = [(base + p, "C") for p in want if p in have and have[p] != want[p]]
        status += [(base + p, "D") for p in want if p not in have] + [(base + p, "A") for p in have if p not in want]
        if status:
            findings.append(_tree_finding(root, status, "as built (build manifest)"))
    return findings
