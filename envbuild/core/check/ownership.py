"""Which files in an environment's site directories belong to which locked package. Pure.

The expected side of `verify --files` comes from the lock, never from the environment under test:
each locked wheel is pinned by sha256, so its own RECORD says what every file it installs must hash
to. The installed RECORD is the environment's claim and only a hint (an attacker edits a file and
its RECORD line together). From the probe's manifest of the site directories (every file, hashed
where it lies) this module derives:

- each locked distribution's verdict: files modified or missing against its wheel's RECORD;
- `unowned`: files that no locked wheel installs and no installer writes (an added module, a
  stray `.pth` - called out when it runs code at start-up - a planted `.so`);
- `shadowed`: a module that hides, or is hidden by, another of the same name earlier on the path,
  or that a site directory provides although the standard library has it.
"""

from __future__ import annotations

import csv
import functools
import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from envbuild.core.findings import STARTUP, Finding
from envbuild.core.check.verify import active
from envbuild.probe.common import record_digest
from envbuild.core.snapshot import Distribution, FileVerdict, Pth, Snapshot


# Written by the installer, not shipped in the wheel (PEP 376, PEP 610, PEP 627).
_INSTALLER_FILES = frozenset({"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"})
_SHOWN = 3


@dataclass(frozen=True, kw_only=True)
class WheelRecord:
    """What a wheel installs into its site directory: site-relative path → urlsafe-b64 sha256."""

    name: str  # canonical
    files: Mapping[str, str]
    dist_info: str  # "requests-2.34.2.dist-info"


@functools.lru_cache(maxsize=4096)  # verify --files parses each wheel's RECORD while the probe runs (ecosystems/pip.py)
def wheel_record(name: str, record_text: str) -> WheelRecord:
    """A wheel's RECORD → the files it puts into purelib/platlib. Files under ``*.data/scripts``,
    ``headers`` and ``data`` land outside the site directory and are left to the installed RECORD."""
    files: dict[str, str] = {}
    dist_info = ""
    normpath = posixpath.normpath
    for row in csv.reader(record_text.splitlines()):
        if not row or not row[0]:
            continue
        path = row[0]
        top, _, rest = path.partition("/")
        if not dist_info and top.endswith(".dist-info"):
            dist_info = top
        if top.endswith(".data"):
            scheme, _, inner = rest.partition("/")
            if scheme not in ("purelib", "platlib") or not inner:
                continue
            path = inner
        if len(row) > 1 and row[1].startswith("sha256="):
            files[normpath(path)] = record_digest(row[1])
    return WheelRecord(name=name, files=files, dist_info=dist_info)


def check_site_files(snapshot: Snapshot, records: Mapping[str, WheelRecord],
                     locked: Mapping[str, str]) -> tuple[dict[str, FileVerdict], list[Finding]]:
    """(verdict per locked distribution that a wheel RECORD covers, unowned findings).

    ``records``: canonical name → the RECORD of the locked wheel for the installed version.
    A verdict (absolute paths) replaces the probe's own, which compared against the installed RECORD."""
    manifest = snapshot.site_files
    stale = set(snapshot.stale_pyc)
    verdicts: dict[str, FileVerdict] = {}
    owned: dict[str, set[str]] = {site: set() for site in manifest}
    claimed_tops: dict[str, set[str]] = {site: set() for site in manifest}
    installed = active(snapshot)
    pycs = {site: _pycs_by_source(present) for site, present in manifest.items()}
    for name, dist in installed.items():
        site = dist.location
        record = records.get(name)
        if site not in manifest:
            continue
        if record is None or name not in locked:
            continue
        present = manifest[site]
        verdict: dict[str, list[str]] = {"modified": [], "missing": [], "unreadable": []}
        for rel, digest in record.files.items():
            got = present.get(rel)
            if got != digest and not _as_another_locked(rel, got, site, installed, records, locked):
                if got not in (None, "unreadable") and rel.endswith(".pyc") and posixpath.join(site, rel) not in stale:
                    continue  # a pyc the wheel ships, compiled again from the installed source (pip does)
                key = "missing" if got is None else "unreadable" if got == "unreadable" else "modified"
                verdict[key].append(posixpath.join(site, rel))
        for key in ("modified", "missing", "unreadable"):
            verdict[key].sort()
        owned[site].update(record.files)
        claimed_tops[site].update({rel.partition("/")[0] for rel in record.files})
        meta = dist.metadata_dir or record.dist_info
        owned[site].update(f"{meta}/{f}" for f in _INSTALLER_FILES)
        owned[site].update(pyc for source in record.files.keys() & pycs[site].keys() for pyc in pycs[site][source])
        # A pyc the wheel itself ships is judged by its RECORD hash (above), not by its header: the
        # installer gives the source a new mtime, so a timestamp pyc of numpy's wheel reads as stale.
        verdict["modified"].extend(sorted(p for p in stale if _source_of(p, site) in record.files
                                          and _in_site(p, site) not in record.files))
        verdicts[name] = _outside_site(dist.files, site, len(record.files), verdict)
    findings = []
    for site, present in sorted(manifest.items()):
        tops = _other_owners(installed, site, records, locked, claimed_tops[site])
        strays = sorted(rel for rel in present.keys() - owned[site] if rel.partition("/")[0] not in tops)
        findings.extend(unowned_findings(site, strays, snapshot.pth))
    return verdicts, findings


def _as_another_locked(rel: str, got: str | None, site: str, installed: Mapping[str, Distribution],
                       records: Mapping[str, WheelRecord], locked: Mapping[str, str]) -> bool:
    """A path that several locked wheels install (nvidia-nccl-cu12 and -cu13 both ship
    nvidia/nccl/include/nccl.h): the installer left one of them, and either is as locked. Asked only
    of a file that differs from its own wheel's RECORD, which is rare."""
    return got is not None and any(
        record.files.get(rel) == got for other, record in records.items()
        if other in locked and (found := installed.get(other)) is not None and found.location == site)


def _other_owners(installed: Mapping[str, Distribution], site: str, records: Mapping[str, WheelRecord],
                  locked: Mapping[str, str], claimed: set[str]) -> set[str]:
    """Top-level entries of distributions that no locked wheel covers (allowed extras, unexpected
    ones - already findings of their own - and seeded pip): owned as a whole by their metadata
    directory's name and the top-level names they declare, but never a top-level entry that a
    locked wheel installs (an added file inside `requests/` stays unowned)."""
    tops: set[str] = set()
    for name, dist in installed.items():
        if dist.location != site or (name in records and name in locked):
            continue
        tops.add(dist.metadata_dir)
        tops.update(dist.top_level)
    return tops - claimed


def _pycs_by_source(present: Iterable[str]) -> dict[str, list[str]]:
    """source .py → its compiled files (__pycache__/<stem>.<tag>[.opt-N].pyc beside it), once per site."""
    out: dict[str, list[str]] = {}
    for rel in present:
        if rel.endswith(".pyc") and "/__pycache__/" in f"/{rel}":
            out.setdefault(_source_rel(rel), []).append(rel)
    return out


def _source_rel(pyc_rel: str) -> str:
    """__pycache__/<stem>.<cache tag>[.opt-N].pyc → <stem>.py beside the folder; the stem may hold
    dots itself (optuna's alembic revisions: v0.9.0.a.py)."""
    folder, name = posixpath.split(pyc_rel)
    stem = name[:-len(".pyc")]
    if ".opt-" in stem:
        stem = stem.rsplit(".opt-", 1)[0]
    return posixpath.join(posixpath.dirname(folder), stem.rsplit(".", 1)[0] + ".py")


def _in_site(path: str, site: str) -> str:
    """``path`` relative to the site directory ``site`` ("" when it is not under it)."""
    prefix = site.rstrip("/") + "/"
    return path[len(prefix):] if path.startswith(prefix) else ""


def _source_of(pyc_path: str, site: str) -> str:
    rel = _in_site(pyc_path, site)
    return _source_rel(rel) if rel else ""


def _outside_site(probe_verdict: FileVerdict | None, site: str, checked: int,
                  verdict: Mapping[str, list[str]]) -> FileVerdict:
    """Keep the probe's verdicts for files outside the site directory (scripts in bin/, data files):
    the wheel's RECORD does not say what an installer rewrote there (shebangs), so the installed
    RECORD is all there is."""
    prefix = site.rstrip("/") + "/"
    probe = probe_verdict or FileVerdict()

    def joined(ours: list[str], theirs: tuple[str, ...]) -> tuple[str, ...]:
        return (*ours, *(p for p in theirs if not p.startswith(prefix)))

    return FileVerdict(checked=checked, modified=joined(verdict["modified"], probe.modified),
                       missing=joined(verdict["missing"], probe.missing),
                       unreadable=joined(verdict["unreadable"], probe.unreadable))


def unowned_findings(site: str, strays: list[str], pth: Iterable[Pth]) -> list[Finding]:
    """One finding per top-level entry of the site directory that holds unowned files."""
    runs = {posixpath.basename(p.path): p.exec for p in pth if posixpath.dirname(p.path) == site.rstrip("/")}
    by_top: dict[str, list[str]] = {}
    for rel in strays:
        by_top.setdefault(rel.split("/", 1)[0], []).append(rel)
    findings = []
    for top, paths in sorted(by_top.items()):
        code = runs.get(top) if top.endswith(".pth") else None
        detail = f"in {site}"
        if code:
            detail = f"{STARTUP}: {code[0][:80]}" + (f" (+{len(code) - 1} more lines)" if len(code) > 1
                                                                   else "") + f"; in {site}"
        shown = ", ".join(paths[:_SHOWN]) + (f" and {len(paths) - _SHOWN} more" if len(paths) > _SHOWN else "")
        findings.append(Finding(kind="unowned", name=top, expected="in no locked package",
                                actual=f"{len(paths)} file{'s' if len(paths) != 1 else ''}: {shown}",
                                detail=detail, paths=tuple(posixpath.join(site, p) for p in paths)))
    return findings


def pth_findings(snapshot: Snapshot) -> list[Finding]:
    """Without --files there is no manifest: a .pth file that no installed RECORD lists is reported
    from the probe's own reading (a hint: the installed RECORDs are the environment's claim)."""
    findings = []
    for pth in snapshot.pth:
        if pth.owner:
            continue
        code = pth.exec
        detail = f"{STARTUP}: {code[0][:80]}" if code else "adds " + ", ".join(pth.added)
        findings.append(Finding(kind="unowned", name=posixpath.basename(pth.path), expected="in no locked package",
                                actual="1 file", detail=detail.strip(), paths=(pth.path,)))
    return findings


def shadowed_findings(snapshot: Snapshot) -> list[Finding]:
    """The probe's list of names found more than once on the path (or in the standard library)."""
    added_by = {d: posixpath.basename(p.path) for p in snapshot.pth for d in p.added}
    findings = []
    for entry in snapshot.shadowing:
        found = entry.found
        if not found:
            continue
        places = [posixpath.join(f.location, f.entry) for f in found]
        shown = [p + (f" (on the path through {added_by[f.location]})" if f.location in added_by else "")
                 for p, f in zip(places, found)]
        if entry.stdlib:
            findings.append(Finding(kind="shadowed", name=entry.name, expected="the standard library's",
                                    actual=places[0], detail=f"{shown[0]}: a site directory provides a module "
                                    "the standard library has", paths=tuple(places)))
            continue
        findings.append(Finding(kind="shadowed", name=entry.name, expected=places[1] if len(places) > 1 else None,
                                actual=places[0], detail=f"{shown[0]} comes first on the path and hides "
                                f"{', '.join(shown[1:])}", paths=tuple(places)))
    return findings
