"""Lock × snapshot → findings, and snapshot × snapshot → differences. Pure, like pip-tools' sync.diff.

Not drift, by default: the packaging tools `python -m venv` seeds (pip, setuptools, wheel) unless
the lock pins them, and whatever the user allows with --allow-extra.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from envbuild.core import platforms
from envbuild.core.lineage.data import compare_outputs
from envbuild.core.findings import STARTUP, Finding
from envbuild.core.names import canonical_name
from envbuild.core.lock import Lock
from envbuild.core.snapshot import Distribution, FileVerdict, Snapshot
from envbuild.core.versions import same_version, version_tuple


SEEDED = frozenset({"pip", "setuptools", "wheel"})


def active(snapshot: Snapshot) -> dict[str, Distribution]:
    """The copy of each distribution that imports win: the first on sys.path."""
    out: dict[str, Distribution] = {}
    for dist in snapshot.distributions:
        if dist.shadowed_by is None and dist.duplicate_of is None:
            out.setdefault(dist.name, dist)
    return out


def verify(lock: Lock, snapshot: Snapshot, *, allow_extra: Iterable[str] = ()) -> list[Finding]:
    findings = environment_findings(lock.python, lock.platform, snapshot)
    locked = lock.expected  # the pins, and the base image's own packages where the target inherits them
    findings += package_findings(locked, snapshot, {canonical_name(n) for n in allow_extra} | (SEEDED - set(locked)),
                                 optional={p.name for p in lock.pip if p.optional})
    findings.extend(duplicate_findings(snapshot))
    return findings


def package_findings(locked: Mapping[str, str], snapshot: Snapshot, allowed: set[str], *,
                     optional: Iterable[str] = ()) -> list[Finding]:
    """Python distributions against locked versions (canonical name → version); an ``optional`` one
    is checked when installed and not missing when not."""
    findings = []
    installed = active(snapshot)
    optional = set(optional)
    for name, version in sorted(locked.items()):
        dist = installed.get(name)
        if dist is None:
            if name not in optional:
                findings.append(Finding(kind="missing", name=name, expected=version))
            continue
        if not same_version(dist.version, version):
            findings.append(Finding(kind="version", name=name, expected=version, actual=dist.version))
        changed = files_finding(name, dist.files, dist.location, "files as in the locked wheel")
        if changed:
            findings.append(changed)
    hooks = {p.owner: p for p in snapshot.pth if p.exec and p.owner}
    for name, dist in sorted(installed.items()):
        if name not in locked and name in allowed:  # its files as its wheel on the index (or its RECORD) has them
            files = replace(dist.files, missing=tuple(p for p in dist.files.missing if not p.endswith(".pyc"))) \
                if dist.files else None
            changed = files_finding(name, files, dist.location, "files as in its wheel")
            if changed:
                findings.append(changed)
        if name not in locked and name not in allowed:
            detail, hook = f"in {dist.location}", hooks.get(name)
            if hook:  # its own RECORD lists a .pth that runs code: every start of the interpreter runs it
                detail = f"{STARTUP}: {hook.exec[0][:80]} ({hook.path.rsplit('/', 1)[-1]}); {detail}"
            findings.append(Finding(kind="unexpected", name=name, actual=dist.version, detail=detail,
                                    paths=(hook.path,) if hook else ()))
    return findings


def hook_findings(snapshot: Snapshot, lock: Lock) -> tuple[list[Finding], list[str]]:
    """Start-up code a locked distribution ships (a .pth with an executable line that its RECORD
    lists), never silent, since a compromised release puts its payload exactly there: where the
    lock recorded each pin's hooks (Lock.hooks_checked), one it did not record is a finding; one it
    did, a note; with a lock that recorded none, a note for each. The sitecustomize and
    usercustomize site.py would import are named too: one in a site directory no wheel installs is
    `unowned` already; elsewhere (the interpreter's own, Debian's) a note, where no engine read the
    place (an image's surface is judged against its manifest) (findings, notes)."""
    installed = active(snapshot)
    pins = {p.name: p for p in lock.pip}
    findings, notes = [], []
    for pth in snapshot.pth:
        owner = pth.owner
        if not pth.exec or owner is None or owner not in pins or owner not in installed:
            continue
        name, version = pth.path.rsplit("/", 1)[-1], installed[owner].version
        line = pth.exec[0][:80]
        if lock.hooks_checked and name not in pins[owner].hooks:
            findings.append(Finding(kind="unowned", name=name, expected=f"the start-up code the lock records for "
                                    f"{owner} {pins[owner].version}: " + (", ".join(pins[owner].hooks) or "none"),
                                    actual=f"listed in {owner} {version}'s RECORD",
                                    detail=f"{STARTUP}: {line}; in {pth.path.rsplit('/', 1)[0]}",
                                    paths=(pth.path,)))
        else:
            notes.append(f"{STARTUP}: {name} of {owner} {version} (" + (
                "the lock expects it" if lock.hooks_checked else "listed in its RECORD") + f"): {line}")
    for found in snapshot.customize if not snapshot.engine else ():
        notes.append(f"{STARTUP}: {found.module} at {found.path}")  # the interpreter's own (Debian's), or planted
    return findings, notes


def duplicate_findings(snapshot: Snapshot) -> list[Finding]:
    """Copies that imports never reach (shadowed further down sys.path) or two metadata directories
    for one name in one place (a broken install)."""
    winners = active(snapshot)
    out = []
    for dist in snapshot.distributions:
        if dist.shadowed_by is None and dist.duplicate_of is None:
            continue
        winner = winners.get(dist.name)
        why = (f"second metadata directory in {dist.location}" if dist.duplicate_of is not None
               else f"shadowed: {dist.location} is hidden by {dist.shadowed_by}")
        out.append(Finding(kind="duplicate", name=dist.name, expected=winner.version if winner else None,
                           actual=dist.version, detail=why))
    return out


def environment_findings(python: str | None, platform: str, snapshot: Snapshot) -> list[Finding]:
    """``python`` None: the environment has no Python of its own to check (a conda environment without one)."""
    interp = snapshot.interpreter
    findings = []
    have = ".".join(interp.version.split(".")[:2])
    want = ".".join((python or "").split(".")[:2])
    if python and (have != want or (python.count(".") == 2 and interp.version != python)):
        findings.append(Finding(kind="python", name="python", expected=python, actual=interp.version or None))
    if python and interp.implementation != "cpython":
        findings.append(Finding(kind="python", name="implementation", expected="cpython",
                                actual=interp.implementation))
    if not platform:  # a lock for no platform of its own (another tool's, settled for this environment)
        return findings
    machine = interp.machine.lower()
    known = platforms.PLATFORMS.get(platform)
    if interp.system != "linux" or machine not in (known.machines if known else ()):
        findings.append(Finding(kind="platform", name="architecture", expected=platform,
                                actual=f"{interp.system or '?'}/{machine or '?'}"))
    libc, version = interp.libc, interp.libc_version
    oldest = f"glibc >= {platforms.glibc_text()}"
    if libc == "musl":
        findings.append(Finding(kind="platform", name="libc", expected=oldest,
                                actual="musl", detail="the lock pins manylinux (glibc) wheels"))
    elif libc == "glibc" and version and version_tuple(version)[:2] < platforms.GLIBC:
        findings.append(Finding(kind="platform", name="libc", expected=oldest, actual=f"glibc {version}",
                                detail=f"too old for the locked manylinux_{platforms.GLIBC[0]}_{platforms.GLIBC[1]} wheels"))
    return findings


def files_finding(name: str, files: FileVerdict | None, location: str, expected: str) -> Finding | None:
    """The probe's file verdict (modified and deleted paths) as one `modified` finding, paths shown
    relative to where the package lives (a site-packages directory, a conda prefix)."""
    changed = (files.modified + files.missing) if files else ()
    if not files or not changed:
        return None
    parts = [f"{len(paths)} {word}" for paths, word in ((files.modified, "modified"), (files.missing, "deleted"))
             if paths]
    location = location.rstrip("/") + "/"
    shown = [p[len(location):] if p.startswith(location) else p for p in changed[:3]]
    more = f" and {len(changed) - 3} more" if len(changed) > 3 else ""
    return Finding(kind="modified", name=name, expected=expected, actual=", ".join(parts),
                   detail=", ".join(shown) + more, paths=changed)


# ---------------------------------------------------------------- any two environments


@dataclass(frozen=True, kw_only=True)
class View:
    """What `diff` compares: packages and, when known, the interpreter of one side."""

    label: str
    packages: Mapping[str, str]
    python: str | None = None
    platform: str | None = None
    gpu: Mapping[str, Any] | None = None  # None: unknown (a lock); {}: known to have no GPU stack
    hashes: Mapping[str, frozenset[str]] = field(default_factory=dict)  # a lock's: the files it accepts per package
    files: Mapping[str, tuple[FileVerdict, str]] = field(default_factory=dict)  # a --files snapshot's verdicts
    determinism: Mapping[str, str] = field(default_factory=dict)  # the determinism variables it ran with
    data: tuple[Mapping[str, Any], ...] | None = None  # the DVC outputs beside it (None: not recorded)


def view_of_lock(lock: Lock, label: str) -> View:
    """What the lock installs: not its optional packages (a uv.lock's extras and groups)."""
    pins = [p for p in lock.pip if not p.optional]
    return View(label=label, packages={**dict(lock.base_packages), **{p.name: p.version for p in pins}},
                python=lock.python,
                platform=lock.platform, hashes={p.name: frozenset(p.hashes) for p in pins if p.hashes})


def view_of_snapshot(snapshot: Snapshot, label: str) -> View:
    interp = snapshot.interpreter
    known = platforms.of_machine(interp.machine) if interp.system == "linux" else None
    installed = active(snapshot)
    return View(label=label, packages={n: d.version for n, d in installed.items()},
                python=interp.version or None, platform=known or f"{interp.system}/{interp.machine}",
                gpu=snapshot.gpu.to_dict() if snapshot.gpu else {},  # compared key by key, new keys too
                files={n: (d.files, d.location) for n, d in installed.items() if d.files},
                determinism=dict(snapshot.environment),
                data=tuple(o.to_dict() for o in snapshot.data.outputs) if snapshot.data is not None else None)


def diff_views(a: View, b: View, *, ignore: Iterable[str] = SEEDED) -> list[Finding]:
    """Differences between two environments: `expected` is side A, `actual` side B."""
    skip = {canonical_name(n) for n in ignore}
    findings = []
    if a.python and b.python and not _python_matches(a.python, b.python):
        findings.append(Finding(kind="python", name="python", expected=a.python, actual=b.python))
    if a.platform and b.platform and a.platform != b.platform:
        findings.append(Finding(kind="platform", name="platform", expected=a.platform, actual=b.platform))
    for name in sorted(set(a.packages) | set(b.packages)):
        if name in skip:
            continue
        left, right = a.packages.get(name), b.packages.get(name)
        if right is None:
            findings.append(Finding(kind="missing", name=name, expected=left, detail=f"only in {a.label}"))
        elif left is None:
            findings.append(Finding(kind="unexpected", name=name, actual=right, detail=f"only in {b.label}"))
        elif not same_version(left, right):
            findings.append(Finding(kind="version", name=name, expected=left, actual=right,
                                    detail=_direction(left, right)))
        elif a.hashes.get(name) and b.hashes.get(name) and (a.hashes[name] - b.hashes[name]) \
                and (b.hashes[name] - a.hashes[name]):
            # A file of one side replaced by another (one wheel of several swapped) is as much a rebuilt
            # artifact as all of them; files only added or only left out (more platforms, or fewer) are not.
            shared = a.hashes[name] & b.hashes[name]
            findings.append(Finding(kind="rehashed", name=name, expected=left, actual=right,
                                    detail="same version, other files: " + (
                                        f"{len(b.hashes[name] - shared)} of its files replaced by others" if shared
                                        else "no file one side accepts is one the other does")))
    for side in (a, b):  # files a --files snapshot found changed since their install
        for name, (files, location) in sorted(side.files.items()):
            changed = files_finding(name, files, location, "files as installed (RECORD)")
            if changed:
                findings.append(replace(changed, detail=f"in {side.label}: {changed.detail}"))
    findings.extend(determinism_findings(a.determinism, b.determinism, f"as {a.label} ran"))
    if a.data is not None and b.data is not None:
        findings.extend(compare_outputs(a.data, b.data, expected_label=a.label, actual_label=b.label))
    if a.gpu is not None and b.gpu is not None:  # driver, CUDA runtime, cuDNN, NCCL, torch's CUDA build, GPUs
        for key in sorted(set(a.gpu) | set(b.gpu)):
            left, right = _gpu_text(key, a.gpu.get(key)), _gpu_text(key, b.gpu.get(key))
            if left != right:
                findings.append(Finding(kind="gpu", name=key, expected=left, actual=right))
    return findings


def _direction(expected: str, actual: str) -> str:
    from packaging.version import InvalidVersion, Version

    try:
        return "upgraded" if Version(actual) > Version(expected) else "downgraded"
    except InvalidVersion:
        return ""


def _python_matches(a: str, b: str) -> bool:
    if a.count(".") == 2 and b.count(".") == 2:
        return a == b
    return a.split(".")[:2] == b.split(".")[:2]


def _gpu_text(key: str, value: Any) -> str | None:
    if value is None:
        return None
    if key == "gpus":
        return ", ".join(sorted(g.get("model", "?") for g in value)) or None
    return str(value)


def determinism_findings(expected: Mapping[str, str], actual: Mapping[str, str], why: str) -> list[Finding]:
    """A variable that made the expected side's runs repeatable, unset or other here. More of them
    here than there is not drift."""
    return [Finding(kind="determinism", name=name, expected=value, actual=actual.get(name),
                    detail=f"{why}; {'unset here' if name not in actual else 'another value here'}")
            for name, value in sorted(expected.items()) if actual.get(name) != value]
