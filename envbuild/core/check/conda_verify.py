"""A conda lock × a snapshot → findings. Pure.

conda packages are matched by name against the prefix's conda-meta records: ``missing``,
``unexpected``, ``version``, ``build`` (same version, another build or another archive) and
``modified`` (a file's sha256 differs from what conda recorded at install). The pip part is checked
as pip locks are; Python distributions that conda itself installed are conda's, not drift.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from envbuild.core.findings import Finding
from envbuild.core.names import canonical_name
from envbuild.core.lock import Lock
from envbuild.core.check.verify import (SEEDED, View, duplicate_findings, environment_findings, files_finding,
                                        package_findings, view_of_snapshot)
from envbuild.core.snapshot import Conda, CondaPackage, FileVerdict, Snapshot


def verify_conda(lock: Lock, snapshot: Snapshot, *, allow_extra: Iterable[str] = ()) -> list[Finding]:
    allow = set(allow_extra)
    findings = environment_findings(lock.python, lock.platform, snapshot)
    findings += conda_findings(lock, snapshot.conda or Conda(), allow)
    if lock.python:  # the probe ran on the environment's own Python: its pip part can be checked
        pins = {p.key: p.version for p in lock.pip}
        allowed = {canonical_name(n) for n in allow} | (SEEDED - set(pins)) | conda_python_names(lock, snapshot)
        findings += package_findings(pins, snapshot, allowed)
        findings += duplicate_findings(snapshot)
    return findings


def archive_verdicts(expected: Mapping[str, list[tuple[str, str | None]]], tree: Mapping[str, str],
                     prefix: str, claimed: Mapping[str, FileVerdict | None]) -> dict[str, FileVerdict]:
    """Each conda package's files (``tree``: the prefix's relative path → digest) against its
    archive's info/paths.json (``expected``: name → (relative path, digest or None for a file conda
    rewrites at install)): a verdict with absolute paths. A rewritten file has no
    archive digest to meet: its verdict against conda-meta's record (``claimed``) stands."""
    verdicts = {}
    base = prefix.rstrip("/") + "/"
    for name, entries in expected.items():
        verdict: dict[str, list[str]] = {"modified": [], "missing": [], "unreadable": []}
        said = set(found.modified) if (found := claimed.get(name)) else set()
        for rel, digest in entries:
            got = tree.get(rel)
            if got is None:
                if not rel.endswith(".pyc"):  # a compiled file removed is compiled again from its source
                    verdict["missing"].append(base + rel)
            elif got == "unreadable":
                verdict["unreadable"].append(base + rel)
            elif (got != digest) if digest is not None else (base + rel in said):
                verdict["modified"].append(base + rel)
        verdicts[name] = FileVerdict(checked=len(entries), modified=tuple(verdict["modified"]),
                                     missing=tuple(verdict["missing"]), unreadable=tuple(verdict["unreadable"]))
    return verdicts


def conda_findings(lock: Lock, conda: Conda, allow: set[str]) -> list[Finding]:
    records = conda.packages
    if records is None:
        where = f"no conda-meta in {conda.prefix}" if conda.prefix else "no conda environment found"
        return [Finding(kind="missing", name="conda environment", expected=f"{len(lock.conda)} conda packages",
                        actual=where, detail="say where it is with --conda-prefix PATH")]
    findings = []
    installed: dict[str, CondaPackage] = {}
    for record in records:
        if record.name in installed:
            findings.append(Finding(kind="duplicate", name=record.name, expected=installed[record.name].meta,
                                    actual=record.meta, detail="two conda-meta records for one package"))
        installed.setdefault(record.name, record)
    for package in sorted(lock.conda, key=lambda p: p.name):
        got = installed.get(package.name)
        want = f"{package.version} {package.build}" if package.build else package.version
        if got is None:
            findings.append(Finding(kind="missing", name=package.name, expected=want, detail="conda package"))
            continue
        have = f"{got.version} {got.build}"
        if str(got.version) != package.version:
            findings.append(Finding(kind="version", name=package.name, expected=want, actual=have,
                                    detail="conda package"))
        elif package.build and got.build != package.build:
            findings.append(Finding(kind="build", name=package.name, expected=want, actual=have,
                                    detail="same version, another build"))
        elif package.sha256 and got.sha256 and got.sha256 != package.sha256:
            findings.append(Finding(kind="build", name=package.name, expected=package.sha256, actual=got.sha256,
                                    detail="same version and build, another archive (sha256 differs)"))
        changed = files_finding(package.name, got.files, conda.prefix or "",
                                "files as in its archive" if got.from_archive else "files as in conda-meta")
        if changed:
            findings.append(changed)
    locked = {p.name for p in lock.conda}
    for name, record in sorted(installed.items()):
        if name not in locked and name not in allow:
            findings.append(Finding(kind="unexpected", name=name, actual=f"{record.version} {record.build}",
                                    detail=f"conda package in {conda.prefix}"))
    return findings


def conda_python_names(lock: Lock, snapshot: Snapshot) -> set[str]:
    """Python distributions that belong to conda packages: their dist-info says INSTALLER conda, or
    they carry a conda package's name."""
    names = {canonical_name(p.name) for p in lock.conda}
    names |= {canonical_name(r.name) for r in (snapshot.conda.packages or () if snapshot.conda else ())}
    return names | {d.name for d in snapshot.distributions if d.installer == "conda"}


def view_of_conda_lock(lock: Lock, label: str) -> View:
    packages = {f"{p.name} (conda)": f"{p.version} {p.build}" if p.build else p.version for p in lock.conda}
    packages.update({p.key: p.version for p in lock.pip})
    return View(label=label, packages=packages, python=lock.python, platform=lock.platform,
                hashes={f"{p.name} (conda)": frozenset(p.hashes) for p in lock.conda if p.hashes}
                | {p.key: frozenset(p.hashes) for p in lock.pip if p.hashes})


def view_of_conda_snapshot(snapshot: Snapshot, label: str) -> View:
    """A snapshot with a conda environment: its conda packages beside the pip ones that are not conda's."""
    base = view_of_snapshot(snapshot, label)
    records = snapshot.conda.packages if snapshot.conda else None
    if records is None:
        return base
    conda_owned = {canonical_name(r.name) for r in records} | {
        d.name for d in snapshot.distributions if d.installer == "conda"}
    packages = {n: v for n, v in base.packages.items() if n not in conda_owned}
    packages.update({f"{r.name} (conda)": f"{r.version} {r.build}" for r in records})
    return replace(base, packages=packages, files={n: v for n, v in base.files.items() if n not in conda_owned})

