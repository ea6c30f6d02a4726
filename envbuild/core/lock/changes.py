"""What changed between two sets of pins: added, removed, upgraded, downgraded, rehashed. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from envbuild.core.lock import PIP, Lock, Package
from envbuild.core.versions import sort_key


@dataclass(frozen=True, kw_only=True)
class Change:
    kind: str  # added | removed | upgraded | downgraded | rehashed
    name: str
    old: str | None = None
    new: str | None = None

    def describe(self) -> str:
        if self.kind == "added":
            return f"added      {self.name} {self.new}"
        if self.kind == "removed":
            return f"removed    {self.name} {self.old}"
        if self.kind == "rehashed":
            return f"rehashed   {self.name} {self.new} (same version, different files: a rebuilt or re-uploaded package)"
        return f"{self.kind:<10} {self.name} {self.old} -> {self.new}"


def diff_pins(old: Iterable[Package], new: Iterable[Package]) -> list[Change]:
    before = {p.name: p for p in old}
    after = {p.name: p for p in new}
    changes: list[Change] = []
    for name in sorted(set(before) | set(after)):
        a, b = before.get(name), after.get(name)
        if a is None and b is not None:
            changes.append(Change(kind="added", name=name, new=b.version))
        elif b is None and a is not None:
            changes.append(Change(kind="removed", name=name, old=a.version))
        elif a is not None and b is not None:
            if a.version != b.version:
                kind = "upgraded" if sort_key(b.version) > sort_key(a.version) else "downgraded"
                changes.append(Change(kind=kind, name=name, old=a.version, new=b.version))
            elif set(a.hashes) != set(b.hashes) and not set(b.hashes) >= set(a.hashes):
                # New files for a version (a late wheel upload) only add hashes; a changed or
                # removed hash means a file we pinned is no longer what the index serves.
                changes.append(Change(kind="rehashed", name=name, old=a.version, new=b.version))
    return changes



def diff_locks(old: Lock | None, new: Lock) -> list[Change]:
    """What a re-lock changed. In a lock with conda packages, its pip packages are named 'x (pip)'
    (a conda package and a pip package may share a name); a new build of the same version of a
    conda package shows as 'rehashed'."""
    return diff_pins(_entries(old), _entries(new))


def _entries(lock: Lock | None) -> list[Package]:
    if lock is None:
        return []
    mixed = bool(lock.conda)
    return [replace(p, name=f"{p.key} (pip)" if mixed and p.manager == PIP else p.key) for p in lock.packages]


_ORDER = ("added", "removed", "upgraded", "downgraded", "rehashed")


def summary(changes: Sequence[Change]) -> str:
    """One line for a re-lock: '106 added' or '2 upgraded, 1 removed'; 'no version changes'."""
    counts = [f"{n} {kind}" for kind in _ORDER if (n := sum(1 for c in changes if c.kind == kind))]
    return ", ".join(counts) or "no version changes"


def change_dict(change: Change) -> dict[str, str | None]:
    return {"kind": change.kind, "name": change.name, "old": change.old, "new": change.new}
